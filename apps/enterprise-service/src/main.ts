import { enableCompileCache } from 'node:module';

// The process's entry, kept out of the bundle: V8's compile cache only covers code compiled after it is on, so it is
// turned on here, before the bundle (service.js: the service and every dependency in one file, webpack.config.js) is
// loaded. Most of a start is compiling that bundle; the cache, kept on disk (NODE_COMPILE_CACHE, else
// node-compile-cache in the OS temp directory), spares every later start that work. A directory that cannot be
// written only leaves the cache off, or read-only when it already holds this bundle's entry.
enableCompileCache();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time, see webpack.config.js
const { startService } = require('./service.js') as typeof import('./service');

// `--fill-compile-cache` loads the bundle and starts nothing: Node writes its compiled code to the cache at exit.
// The image build runs it (Dockerfile), so that a container's first start, every scale-out's, is as fast as a restart.
if (process.argv[2] !== '--fill-compile-cache') startService();
