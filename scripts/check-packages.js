#!/usr/bin/env node
// Packs every workspace package as `npm publish` would, then runs the tools made for package hygiene on each
// tarball: publint (--strict: suggestions and warnings fail too) and @arethetypeswrong/cli (types resolve for
// node10, node16 CommonJS and ESM consumers, and bundlers). Exits 1 on any finding. Needs `npm run build:packages`
// first (`npm run check:packages` does both). Prints each tarball's size and runtime dependencies.
const { execFileSync, spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const dir = mkdtempSync(join(tmpdir(), 'nr-packages-'));

try {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--workspaces', '--pack-destination', dir, '--json', '--loglevel=error'], {
      cwd: root,
      encoding: 'utf8',
    }),
  );
  let failed = 0;
  for (const { name, filename, size, unpackedSize, entryCount } of packed) {
    const tarball = join(dir, filename);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    const dependencies = Object.keys(manifest.dependencies ?? {});
    console.log(
      `\n${name}: ${(size / 1024).toFixed(1)} kB packed, ${(unpackedSize / 1024).toFixed(1)} kB unpacked, ` +
        `${entryCount} files, ${dependencies.length} dependencies (${dependencies.join(', ') || 'none'})`,
    );
    for (const [tool, args] of [
      ['publint', ['run', '--strict', tarball]],
      ['attw', [tarball, '--format', 'ascii']],
    ]) {
      const run = spawnSync(bin(tool), args, { cwd: dir, encoding: 'utf8' });
      const output = `${run.stdout}${run.stderr}`.trim();
      if (run.status === 0) {
        console.log(`  ${tool}: nothing to report`);
      } else {
        failed++;
        console.log(`  ${tool} FAILED (exit ${run.status}):\n${output.replace(/^/gm, '    ')}`);
      }
    }
  }
  if (failed > 0) {
    console.error(`\ncheck-packages: ${failed} finding(s) in ${packed.length} packages.`);
    process.exitCode = 1;
  } else {
    console.log(`\ncheck-packages: ${packed.length} packages, publint and attw report nothing.`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
