#!/usr/bin/env node
// Runs API Extractor over every package's built declarations (run `npm run build:packages` first).
//   node scripts/api-report.js          check: fails when a libs/<name>/etc/<name>.api.md is out of date or a
//                                       warning is reported (api-extractor run without --local)
//   node scripts/api-report.js --update rewrites the reports (api-extractor run --local); commit them with the change
// A workspace package without an api-extractor.json fails the check.
const { existsSync, globSync, mkdirSync, readFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');

const root = join(__dirname, '..');
const update = process.argv.includes('--update');
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const packages = globSync(
  workspaces.map((pattern) => `${pattern}/package.json`),
  { cwd: root },
)
  .map((file) => file.replace(/\/package\.json$/, ''))
  .sort();

let failed = 0;
for (const dir of packages) {
  const configFile = join(root, dir, 'api-extractor.json');
  if (!existsSync(configFile)) {
    console.error(
      `${dir}: no api-extractor.json; add one extending ../../api-extractor.base.json, then npm run api:update`,
    );
    failed++;
    continue;
  }
  const config = ExtractorConfig.loadFileAndPrepare(configFile);
  let findings = 0;
  if (update) mkdirSync(config.reportFolder, { recursive: true });
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback(message) {
      // Findings (compiler, extractor, TSDoc) are counted; API Extractor's own notices are shown only when they matter.
      if (message.category !== 'console' && (message.logLevel === 'warning' || message.logLevel === 'error'))
        findings++;
      else if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
    },
  });
  const report = relative(root, join(config.reportFolder, config.reportConfigs[0].fileName));
  if (findings > 0 || result.errorCount > 0) {
    failed++;
    console.error(`${dir}: ${findings} finding(s) above; fix them (see api-extractor.base.json), then run this again`);
  } else if (result.apiReportChanged && !update) {
    failed++;
    console.error(`${dir}: the public API differs from ${report}; run npm run api:update and commit the report`);
  } else {
    console.log(`${dir}: ${result.apiReportChanged ? 'updated' : 'up to date'} (${report})`);
  }
}
if (failed > 0) process.exitCode = 1;
