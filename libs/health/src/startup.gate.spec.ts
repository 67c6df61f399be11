import { StartupGate } from './startup.gate';

describe('StartupGate', () => {
  it('is not started before the application has bootstrapped, even with no hold', () => {
    expect(new StartupGate().isStarted).toBe(false);
  });

  it('starts once bootstrapped and every hold is released', () => {
    const gate = new StartupGate();
    const lease = gate.hold('tsid:node-lease');
    const deps = gate.hold('app:dependencies');
    gate.onApplicationBootstrap();
    expect(gate.isStarted).toBe(false);
    lease.release();
    expect(gate.pendingHolds).toEqual(['app:dependencies']);
    expect(gate.isStarted).toBe(false);
    deps.release();
    expect(gate.isStarted).toBe(true);
  });

  it('counts two holds with the same name separately, and ignores a second release', () => {
    const gate = new StartupGate();
    const first = gate.hold('warm-up');
    gate.hold('warm-up');
    gate.onApplicationBootstrap();
    first.release();
    first.release();
    expect(gate.pendingHolds).toEqual(['warm-up']);
    expect(gate.isStarted).toBe(false);
  });

  it('stays started when a hold is taken after start-up completed', () => {
    const gate = new StartupGate();
    gate.onApplicationBootstrap();
    expect(gate.isStarted).toBe(true);
    gate.hold('late');
    expect(gate.isStarted).toBe(true);
  });
});
