// ioredis tells Redis its version (CLIENT SETINFO LIB-VER, shown by CLIENT LIST) by reading
// `__dirname/../../package.json` at run time, which from inside the bundle names no file: it reported
// "error-fetching-version". This loader writes that package.json's version in at build time. If ioredis moves the
// read, the build fails here instead of shipping a wrong version.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const PATH = /\(0, path_1\.resolve\)\(__dirname, "\.\.", "\.\.", "package\.json"\)/;
const READ = /await fs_1\.promises\.readFile\(filePath, "utf8"\)/;

module.exports = function inlinePackageJson(source) {
  if (!PATH.test(source) || !READ.test(source)) {
    throw new Error(`${this.resourcePath}: no run-time read of ../../package.json left to inline; revisit this loader`);
  }
  const manifest = join(this.resourcePath, '..', '..', '..', 'package.json');
  this.addDependency(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  return source.replace(READ, JSON.stringify(JSON.stringify({ version })));
};
