// Lets benchmarks be TypeScript: `node -r ./bench/register.js bench/x.bench.ts`. Transpiles with SWC (the same
// settings as the tests); `@nestjs-reliability/*` resolve to the built packages (`npm run build:packages`).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync } = require('@swc/core');

const swcrc = JSON.parse(readFileSync(join(__dirname, '..', '.swcrc'), 'utf8'));
swcrc.sourceMaps = 'inline';

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...swcrc, swcrc: false, filename });
  module._compile(code, filename);
};
