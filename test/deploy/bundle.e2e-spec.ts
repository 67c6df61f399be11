import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, runOk } from './deploy-support';

// The service ships as one bundle (apps/enterprise-service/webpack.config.js); its source maps are what turns a
// production stack trace (NODE_OPTIONS=--enable-source-maps) back into the files a reader knows.
describe('the service bundle', () => {
  it('ships source maps that lead a line of the bundle back to its TypeScript source', () => {
    const bundle = join(ROOT, 'dist/apps/enterprise-service/service.js');
    const line = readFileSync(bundle, 'utf8')
      .split('\n')
      .findIndex((text) => text.startsWith('function installFastifyRequestHooks('));
    expect(line).toBeGreaterThan(0);
    const script = [
      `const { findSourceMap } = require('node:module');`,
      `require(${JSON.stringify(bundle)});`,
      `console.log(JSON.stringify(findSourceMap(${JSON.stringify(bundle)}).findEntry(${line}, 0)));`,
    ].join('\n');
    const entry = JSON.parse(runOk(process.execPath, ['--enable-source-maps', '-e', script], { encoding: 'utf8' }));
    expect(entry).toMatchObject({
      originalSource: pathToFileURL(join(ROOT, 'apps/enterprise-service/src/http/fastify-request.hooks.ts')).href,
    });
  });
});
