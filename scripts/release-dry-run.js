#!/usr/bin/env node
// What `changeset publish` would publish, without publishing: builds the packages, checks their API reports, then
// packs every workspace package with `npm pack --dry-run` and lists each tarball's files and sizes. Fails when a
// tarball lacks its entry points, README or CHANGELOG, or carries tests, build info or other repository-only files.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const root = join(__dirname, '..');
const run = (args, options = {}) => execFileSync('npm', args, { cwd: root, encoding: 'utf8', ...options });

console.log('== build:packages');
run(['run', '--silent', 'build:packages'], { stdio: 'inherit' });
console.log('== api reports');
execFileSync(process.execPath, [join(__dirname, 'api-report.js')], { cwd: root, stdio: 'inherit' });

console.log('== npm pack --dry-run --workspaces');
const packs = JSON.parse(run(['pack', '--dry-run', '--json', '--workspaces', '--loglevel=error']));
const REQUIRED = ['package.json', 'README.md', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts'];
const FORBIDDEN = [
  /\.spec\.[jt]s$/,
  /\.e2e-spec\.[jt]s$/,
  /\.tsbuildinfo$/,
  /^etc\//,
  /^api-extractor\.json$/,
  /^test\//,
];
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const problems = [];
for (const pack of packs) {
  const paths = pack.files.map((file) => file.path);
  console.log(
    `\n${pack.name}@${pack.version}  ${pack.filename}  ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked`,
  );
  for (const file of pack.files) console.log(`  ${kb(file.size).padStart(9)}  ${file.path}`);
  for (const path of REQUIRED) {
    if (!paths.includes(path)) problems.push(`${pack.name}: ${path} is missing`);
  }
  for (const path of paths) {
    if (FORBIDDEN.some((pattern) => pattern.test(path))) problems.push(`${pack.name}: ${path} must not be published`);
  }
}
if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  process.exitCode = 1;
} else {
  console.log(`\n${packs.length} packages would be published; nothing was.`);
}
