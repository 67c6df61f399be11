/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML; the checks below are what types them */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contract, maxOldSpaceMiB, memoryMiB, readText, ROOT, run, tool } from './deploy-support';

// The supervisors outside Kubernetes: the systemd unit (checked by systemd-analyze) and the PM2 ecosystem file.
const UNIT = 'deploy/systemd/enterprise-service.service';

function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const [, key, value] of text.matchAll(/^(\w+)=(.*)$/gm))
    settings.set(key, [...(settings.get(key) ?? []), value]);
  return settings;
}

const { env: contractEnv, exitCodes } = contract();
const drainAndTimeoutSeconds =
  (Number(contractEnv.get('SHUTDOWN_DRAIN_DELAY_MS')) + Number(contractEnv.get('SHUTDOWN_TIMEOUT_MS'))) / 1000;

describe('deploy/systemd/enterprise-service.service', () => {
  const unit = readText(UNIT);
  const settings = unitSettings(unit);
  const one = (key: string): string => settings.get(key)?.at(-1) ?? '';

  it('passes systemd-analyze verify without a warning', () => {
    const analyze = tool('systemd-analyze', 'apt-get install systemd');
    // Verified with the Node running this test in place of /usr/bin/node, which may not exist here.
    const dir = mkdtempSync(join(tmpdir(), 'systemd-unit-'));
    try {
      const path = join(dir, 'enterprise-service.service');
      writeFileSync(path, unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
      const result = run(analyze, ['verify', path]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the compiled service with node directly', () => {
    expect(one('ExecStart')).toBe('/usr/bin/node dist/apps/enterprise-service/main.js');
  });

  it('restarts on failure, including exit 75, but not on an invalid configuration (78)', () => {
    expect(exitCodes.get(75)).toMatch(/restart/);
    expect(exitCodes.get(78)).toMatch(/invalid configuration/);
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartSec')).toMatch(/^\d+s?$/);
    expect(one('RestartPreventExitStatus').split(/\s+/)).toEqual(['78']);
  });

  it('waits longer than drain + in-flight timeout before SIGKILL', () => {
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number(one('TimeoutStopSec').replace(/s$/, ''))).toBeGreaterThan(drainAndTimeoutSeconds);
  });

  it('limits memory above the V8 old space, file descriptors and CPU', () => {
    const oldSpace = maxOldSpaceMiB(settings.get('Environment')!.find((line) => line.startsWith('NODE_OPTIONS=')));
    expect(oldSpace).toBeLessThanOrEqual(memoryMiB(one('MemoryMax').replace(/M$/, 'Mi')) * 0.8);
    expect(Number(one('LimitNOFILE'))).toBeGreaterThanOrEqual(65_536);
    expect(one('CPUQuota')).toMatch(/^\d+%$/);
  });
});

describe('deploy/pm2/ecosystem.config.js', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { apps } = require(join(ROOT, 'deploy', 'pm2', 'ecosystem.config.js')) as { apps: Array<Record<string, any>> };
  const [app] = apps;

  it('runs the compiled service in cluster mode from the repository root', () => {
    expect(apps).toHaveLength(1);
    expect(app.exec_mode).toBe('cluster');
    expect(app.cwd).toBe(ROOT);
    expect(app.script).toBe('dist/apps/enterprise-service/main.js');
  });

  it('restarts a worker that outgrows its memory, above the V8 old space', () => {
    const limit = memoryMiB(String(app.max_memory_restart).replace(/M$/, 'Mi'));
    expect(maxOldSpaceMiB(app.node_args)).toBeLessThanOrEqual(limit * 0.8);
  });

  it('restarts on exit 75 but not on 0 or 78, and waits for a graceful shutdown', () => {
    expect(app.autorestart).toBe(true);
    expect(app.stop_exit_codes).toEqual([0, 78]);
    expect(app.kill_timeout / 1000).toBeGreaterThan(drainAndTimeoutSeconds);
  });

  it('sets NODE_ENV=production in its production environment and no credentials', () => {
    expect(app.env_production.NODE_ENV).toBe('production');
    expect(app.env_production).not.toHaveProperty('MONGODB_URI');
    expect(app.env_production).not.toHaveProperty('REDIS_URL');
  });
});
