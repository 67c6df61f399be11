// A server that stalls on purpose, for the check of the latency generators (test/bench/open-model.e2e-spec.ts):
// answers `GET /` at once, except that the `STALL_AT`-th request blocks its event loop for `STALL_MS` first.
// Prints its port on stdout.
'use strict';
const { createServer } = require('node:http');

const stallAt = Number(process.env.STALL_AT);
const stallMs = Number(process.env.STALL_MS);
let served = 0;
const server = createServer((request, response) => {
  if (++served === stallAt) {
    const until = performance.now() + stallMs;
    while (performance.now() < until);
  }
  response.end('{}');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
