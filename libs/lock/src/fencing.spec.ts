import { startRedis, waitFor, type RedisServer } from '../../../test/support';
import { type LockHandle, LockService } from './lock.service';

/** A protected resource: with `check`, it accepts a write only if its token is at least the highest accepted. */
class Ledger {
  readonly accepted: Array<{ writer: string; token: number }> = [];
  rejected = 0;
  private highest = 0;

  constructor(private readonly check: boolean) {}

  write(writer: string, token: number): boolean {
    if (this.check && token < this.highest) {
      this.rejected++;
      return false;
    }
    this.highest = Math.max(this.highest, token);
    this.accepted.push({ writer, token });
    return true;
  }

  /** Writes accepted after a later holder's: what fencing exists to prevent. */
  get outOfOrder(): number {
    return this.accepted.filter((write, i) => this.accepted.slice(0, i).some((earlier) => earlier.token > write.token))
      .length;
  }
}

// Each holder keeps its own connections, as separate processes would.
const instance = (servers: RedisServer[]): LockService =>
  new LockService({ clients: servers.map((server) => server.client()), ttlMs: 20_000 });

/**
 * The Redlock node-restart hazard, for real: node 2 is down while A takes the lock (A holds a bare majority, nodes
 * 0 and 1), node 2 comes back, then node 1 restarts EMPTY while A holds. B now wins nodes 1 and 2, a majority, while
 * A still runs. Only the fencing token keeps A's late write out.
 */
async function restartHazard(check: boolean): Promise<{ ledger: Ledger; overlapped: boolean; tokens: number[] }> {
  const servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
  const [a, b] = [instance(servers), instance(servers)];
  const ledger = new Ledger(check);
  let aHolds = false;
  let overlapped = false;
  let releaseA!: () => void;
  await servers[2].kill();
  const aWrote = new Promise<LockHandle>((resolve) => {
    void a.run('ledger', async (_signal, lock) => {
      aHolds = true;
      ledger.write('A', lock.fencingToken);
      resolve(lock);
      await new Promise<void>((done) => (releaseA = done));
      // A, paused or slow, writes again after B: the stale write.
      ledger.write('A', lock.fencingToken);
      aHolds = false;
    });
  });
  const lockA = await aWrote;
  await servers[2].restart();
  await servers[1].restart();
  const tokenB = await b.run(
    'ledger',
    (_signal, lock) => {
      overlapped = aHolds;
      ledger.write('B', lock.fencingToken);
      return lock.fencingToken;
    },
    { retryCount: 20 },
  );
  releaseA();
  await waitFor('A to finish', () => !aHolds);
  await Promise.all(servers.map((server) => server.stop()));
  return { ledger, overlapped, tokens: [lockA.fencingToken, tokenB] };
}

describe('fencing tokens when one of three lock nodes restarts empty mid-hold', () => {
  it('control: without the token check, both holders overlap and the stale write is accepted after B’s', async () => {
    const { ledger, overlapped } = await restartHazard(false);
    console.log(
      `restart hazard, control (no token check): holders overlapped=${overlapped}, ` +
        `writes accepted=${ledger.accepted.map(({ writer, token }) => `${writer}#${token}`).join(',')}, ` +
        `out of order=${ledger.outOfOrder}`,
    );
    expect(overlapped).toBe(true);
    expect(ledger.outOfOrder).toBe(1);
  });

  it('with the token check, the resource never accepts the two holders’ writes out of order', async () => {
    const { ledger, overlapped, tokens } = await restartHazard(true);
    console.log(
      `restart hazard, fenced: holders overlapped=${overlapped}, tokens A=${tokens[0]} B=${tokens[1]}, ` +
        `writes accepted=${ledger.accepted.map(({ writer, token }) => `${writer}#${token}`).join(',')}, ` +
        `stale writes rejected=${ledger.rejected}`,
    );
    expect(overlapped).toBe(true);
    expect(tokens[1]).toBeGreaterThan(tokens[0]);
    expect(ledger.accepted.map(({ writer }) => writer)).toEqual(['A', 'B']);
    expect(ledger.rejected).toBe(1);
    expect(ledger.outOfOrder).toBe(0);
  });
});
