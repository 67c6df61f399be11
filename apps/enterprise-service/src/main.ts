import { enableCompileCache } from 'node:module';

// The process's entry, kept out of the bundle: V8's compile cache only covers code compiled after it is on, so it is
// turned on here, before the bundle (service.js: the service and every dependency in one file, webpack.config.js) is
// loaded. Most of a start is compiling that bundle; the cache, kept on disk (NODE_COMPILE_CACHE, else
// node-compile-cache in the OS temp directory: an emptyDir in k8s/, which outlives container restarts), spares every
// later start that work. A directory that cannot be written only leaves the cache off.
enableCompileCache();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, see webpack.config.js
require('./service.js');
