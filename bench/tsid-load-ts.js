// Loads TypeScript sources of this repository for plain `node` bench scripts: SWC transpiles each `.ts` file on
// require, and `@nestjs-reliability/<lib>` resolves to `libs/<lib>/src` as in tsconfig.json.
'use strict';
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));

function loadTs(relativePath) {
  if (!Module._extensions['.ts']) {
    Module._extensions['.ts'] = (module, filename) => {
      const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
        ...swcrc,
        swcrc: false,
        filename,
        sourceMaps: false,
      });
      module._compile(code, filename);
    };
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      const alias = /^@nestjs-reliability\/([a-z-]+)$/.exec(request);
      return resolve.call(this, alias ? path.join(root, 'libs', alias[1], 'src') : request, ...rest);
    };
  }
  return require(path.join(root, relativePath));
}

module.exports = { loadTs };
