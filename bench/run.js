#!/usr/bin/env node
// `npm run bench [filter]`: runs every bench/*.bench.{ts,js} in its own process, one after another (the machine
// has two cores; benchmarks in parallel would measure each other). Each prints its own ratios.
const { spawnSync } = require('node:child_process');
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const filter = process.argv[2];
const benches = readdirSync(__dirname)
  .filter((file) => /\.bench\.(ts|js)$/.test(file) && (!filter || file.includes(filter)))
  .sort();
if (benches.length === 0) {
  console.error(`No benchmark matches ${JSON.stringify(filter)}.`);
  process.exit(1);
}
console.log(`node ${process.version}, ${benches.length} benchmark(s)`);
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file}`);
  const result = spawnSync(process.execPath, ['-r', join(__dirname, 'register.js'), join(__dirname, file)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
