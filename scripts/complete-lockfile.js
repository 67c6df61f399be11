#!/usr/bin/env node
// Our registry mirror serves only the Linux builds of platform-specific optional packages (e.g. @swc/core-darwin-arm64
// answers 404), so npm writes a lock file without the others, and npm ≥ 11 then refuses `npm ci` ("Missing: … from
// lock file"). This adds the entries the open registry would have produced: optional, with `os`/`cpu`/`libc` read from
// the package name, so npm skips them on other platforms and fetches them by version where they apply.
// Run after `npm install` changes package-lock.json: `node scripts/complete-lockfile.js`.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const PLATFORM = /-(darwin|linux|win32|android|freebsd|openharmony|netbsd|openbsd|sunos)-(x64|arm64|arm|ia32|ppc64|s390x|riscv64|loong64)(?:-(\w+))?$/;

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `${path ? `${path}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[target] || lock.packages[hoisted]) continue;
    const platform = PLATFORM.exec(name);
    if (!platform) {
      console.error(`${name} is missing from the lock file and is not a platform build: run npm install.`);
      process.exitCode = 1;
      continue;
    }
    const [, os, cpu, abi] = platform;
    lock.packages[hoisted] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpu],
      ...(abi && os === 'linux' ? { libc: [abi.startsWith('musl') ? 'musl' : 'glibc'] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform entr${added === 1 ? 'y' : 'ies'}.`);
