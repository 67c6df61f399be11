import { enableCompileCache } from 'node:module';

// Imported first by main.ts, before any dependency loads. Most of a start is compiling the service's bundle (every
// dependency in one file, see webpack.config.js); V8's code cache for it, kept on disk (NODE_COMPILE_CACHE, else
// node-compile-cache in the OS temp directory: an emptyDir in k8s/, which outlives container restarts), spares every
// later start that work: spawn to readiness 1.3 → 0.75 s measured. A directory that cannot be written only leaves
// the cache off.
enableCompileCache();
