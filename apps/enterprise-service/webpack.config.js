// The service is bundled with its dependencies into service.js: a start then compiles one file instead of resolving,
// reading and compiling ~2,500 modules, two thirds of a start unbundled. main.js, the process's entry, turns V8's
// compile cache on and then requires service.js, so that the cache covers the bundle. What stays a plain `require`:
// - packages that are not installed (the optional integrations Nest, the MongoDB driver and others try to load),
//   which then fail at run time as they would unbundled, where their loaders expect it;
// - native addons, which cannot be bundled (msgpackr's optional accelerator, used by BullMQ).
// The service's own imports must be production dependencies: a dev dependency would be bundled, and run in
// production without anyone having chosen to ship it. The build fails instead, naming it.
const { isBuiltin } = require('node:module');
const { join } = require('node:path');
const { dependencies } = require('../../package.json');

const NATIVE = new Set(['msgpackr-extract']);
const SOURCE = join(__dirname, 'src');

const packageOf = (request) => request.split('/', request.startsWith('@') ? 2 : 1).join('/');

function isInstalled(request, context) {
  try {
    require.resolve(request, { paths: [context] });
    return true;
  } catch {
    return false;
  }
}

const SERVICE = './service.js';

module.exports = (options) => ({
  ...options,
  entry: {
    main: options.entry,
    // A CommonJS module, so that main.js can require it without starting it (main.ts, `--fill-compile-cache`).
    service: { import: options.entry.replace(/main\.ts$/, 'service.ts'), library: { type: 'commonjs2' } },
  },
  output: {
    ...options.output,
    filename: options.output.filename.replace(/main\.js$/, '[name].js'),
    // Sources as paths from the map's directory (dist/apps/enterprise-service) to the file in the checkout.
    devtoolModuleFilenameTemplate: '../../../[resource-path]',
  },
  // The run-time values, as unbundled; bundled ES modules' `import.meta.dirname` and `.filename` become them too.
  node: { __dirname: 'eval-only', __filename: 'eval-only' },
  module: {
    ...options.module,
    rules: [
      ...options.module.rules,
      // ioredis reads its version from its package.json at run time, a file the bundle has not: written in at build.
      {
        test: /[\\/]ioredis[\\/]built[\\/]utils[\\/]index\.js$/,
        loader: join(__dirname, 'package-json-inline.loader.js'),
      },
    ],
  },
  // Source maps beside the bundle, read only when asked for: NODE_OPTIONS=--enable-source-maps maps stack traces to
  // the TypeScript sources and the packages' own files, for ~0.15 s more start-up (Node parses the map at load).
  devtool: 'source-map',
  externals: [
    ({ request, context }, callback) => {
      if (request === SERVICE) return callback(null, `commonjs ${SERVICE}`);
      const bare = !request.startsWith('.') && !request.startsWith('/') && !isBuiltin(request);
      if (bare && context.startsWith(SOURCE) && !(packageOf(request) in dependencies)) {
        return callback(new Error(`the service imports ${request}, which is not in package.json's dependencies`));
      }
      if (bare && (NATIVE.has(request) || !isInstalled(request, context))) return callback(null, `commonjs ${request}`);
      callback();
    },
  ],
});
