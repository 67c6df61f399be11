// The service is bundled with its dependencies: a start then compiles one file instead of resolving, reading and
// compiling ~2,500 modules, two thirds of a start unbundled. What stays a plain `require`:
// - packages that are not installed (the optional integrations Nest, the MongoDB driver and others try to load),
//   which then fail at run time as they would unbundled, where their loaders expect it;
// - native addons, which cannot be bundled (msgpackr's optional accelerator, used by BullMQ).
const NATIVE = new Set(['msgpackr-extract']);

function isInstalled(request, context) {
  try {
    require.resolve(request, { paths: [context] });
    return true;
  } catch {
    return false;
  }
}

module.exports = (options) => ({
  ...options,
  // The run-time values, as unbundled; bundled ES modules' `import.meta.dirname` and `.filename` become them too.
  node: { __dirname: 'eval-only', __filename: 'eval-only' },
  externals: [
    ({ request, context }, callback) => {
      const bare = !request.startsWith('.') && !request.startsWith('/') && !request.startsWith('node:');
      if (bare && (NATIVE.has(request) || !isInstalled(request, context))) return callback(null, `commonjs ${request}`);
      callback();
    },
  ],
});
