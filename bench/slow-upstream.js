// The directory upstream of the latency bench: `GET /directory/:key` answers `{ key, ... }` after `DELAY_MS`
// (an external API that adds 100 ms). Prints its port on stdout.
'use strict';
const { createServer } = require('node:http');

const delayMs = Number(process.env.DELAY_MS ?? 100);
const server = createServer((request, response) => {
  setTimeout(() => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ key: request.url.split('/').pop(), owner: 'directory', region: 'eu-west-1' }));
  }, delayMs);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
