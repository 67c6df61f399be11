// `node -r ./test/support/swc-register.js script.ts`: runs a TypeScript script (decorators, path aliases) in a
// real child process, the way jest transpiles tests, for tests that need real signals and real exit codes.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { addHook } = require('pirates');
const { transformSync } = require('@swc/core');
const tsconfigPaths = require('tsconfig-paths');

const root = join(__dirname, '..', '..');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));

addHook((code, filename) => transformSync(code, { ...swcrc, swcrc: false, filename }).code, {
  exts: ['.ts'],
  ignoreNodeModules: true,
});
tsconfigPaths.register({ baseUrl: root, paths: compilerOptions.paths });
