// Removes every package's build output, so a file deleted from src/ never lingers in dist/ (tsc -b keeps it).
const { readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const libs = join(__dirname, '..', 'libs');
for (const name of readdirSync(libs)) rmSync(join(libs, name, 'dist'), { recursive: true, force: true });
