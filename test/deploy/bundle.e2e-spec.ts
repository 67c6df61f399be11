import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GatedProxy, startRedis, startService, waitFor } from '../support';
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

  it('tells Redis which ioredis it runs, which ioredis reads from a package.json the bundle has not', async () => {
    const redis = await startRedis();
    const proxy = await GatedProxy.start(redis.port);
    proxy.open();
    try {
      await startService({ env: { REDIS_URL: proxy.url } });
      await waitFor('ioredis to send CLIENT SETINFO LIB-VER', () => proxy.sent().includes('LIB-VER'));
      const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/ioredis/package.json'), 'utf8'));
      // CLIENT SETINFO LIB-VER <version> as RESP; Redis 7.2+ shows it in CLIENT LIST as lib-ver.
      expect(proxy.sent()).toContain(`$7\r\nSETINFO\r\n$7\r\nLIB-VER\r\n$${version.length}\r\n${version}\r\n`);
    } finally {
      await proxy.close();
    }
  });
});
