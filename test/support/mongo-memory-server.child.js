// Started by the e2e global setup: runs a mongodb-memory-server in its own process (its download attempts and
// timers stay out of jest's), prints `URI <uri>` or `ERROR <reason>` as its first line, stops on SIGTERM.
const { MongoMemoryServer } = require('mongodb-memory-server');

console.error = console.warn = () => undefined;
MongoMemoryServer.create()
  .then((server) => {
    process.stdout.write(`URI ${server.getUri('enterprise-test')}\n`);
    process.once('SIGTERM', () => server.stop().finally(() => process.exit(0)));
  })
  .catch((error) => {
    process.stdout.write(`ERROR ${String(error.message).split('\n')[0]}\n`);
    process.exit(0);
  });
