import { isBulkheadRejectedError } from '../errors/bulkhead-rejected.error';
import { runWithAbortSignal } from '@nestjs-reliability/common';
import { BulkheadPolicy } from './bulkhead.policy';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('BulkheadPolicy', () => {
  it('runs maxConcurrent calls, queues maxQueue more in order, and rejects the rest', async () => {
    const bulkhead = new BulkheadPolicy('Svc.get', 2, 1);
    const gates = [gate(), gate(), gate()];
    const order: number[] = [];
    const calls = gates.map((g, i) =>
      bulkhead.execute(async () => {
        order.push(i);
        await g.opened;
        return i;
      }),
    );
    expect(bulkhead.running).toBe(2);
    expect(bulkhead.queued).toBe(1);
    const rejected = await bulkhead.execute(() => 'never').catch((e: unknown) => e);
    expect(isBulkheadRejectedError(rejected)).toBe(true);
    expect((rejected as Error).message).toContain('"Svc.get" is at capacity (2 running, 1 queued)');
    gates[0].open();
    await calls[0];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    gates[1].open();
    gates[2].open();
    expect(await Promise.all(calls)).toEqual([0, 1, 2]);
    expect(bulkhead.running).toBe(0);
  });

  it('frees the slot when the call fails', async () => {
    const bulkhead = new BulkheadPolicy('op', 1, 0);
    await expect(bulkhead.execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(bulkhead.execute(() => 'ok')).resolves.toBe('ok');
  });

  it('does not run a queued call whose caller gave up while it waited', async () => {
    const bulkhead = new BulkheadPolicy('op', 1, 1);
    const first = gate();
    const running = bulkhead.execute(() => first.opened);
    const controller = new AbortController();
    const work = jest.fn(() => 'late');
    const queued = runWithAbortSignal(controller.signal, () => bulkhead.execute(work));
    controller.abort(new Error('timed out'));
    first.open();
    await running;
    await expect(queued).rejects.toThrow('timed out');
    expect(work).not.toHaveBeenCalled();
    expect(bulkhead.running).toBe(0);
  });
});
