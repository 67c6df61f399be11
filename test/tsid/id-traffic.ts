import { TsidCodec } from '@nestjs-reliability/tsid';
import { type ServiceProcess, waitFor } from '../support';

/**
 * Fetches `/ids?count=N` from service instances in a loop, keeping every ID, who issued it, and how long each
 * instance was unable to issue (503, refused connection, process down). Then checks the safety invariant:
 * no ID twice, and for every node ID the timestamp ranges of its successive holders are disjoint and ordered.
 */
export class IdTraffic {
  private readonly issuer = new Map<string, string>();
  private readonly duplicates: string[] = [];
  private readonly unavailableMs = new Map<string, number>();
  private readonly lastIssuedAt = new Map<string, number>();
  private readonly loops: Promise<void>[] = [];
  private stopped = false;

  constructor(
    private readonly codec = new TsidCodec({ nodeBits: 2 }),
    private readonly batch = 50,
  ) {}

  /** Keeps requesting IDs from whatever `current()` returns (it may change as the instance is restarted). */
  add(name: string, current: () => { service: ServiceProcess; label: string } | undefined): void {
    this.unavailableMs.set(name, 0);
    this.loops.push(this.loop(name, current));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  get total(): number {
    return this.issuer.size + this.duplicates.length;
  }

  get duplicateIds(): string[] {
    return [...this.duplicates];
  }

  /** IDs issued per incarnation label. */
  countsByLabel(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const label of this.issuer.values()) counts[label] = (counts[label] ?? 0) + 1;
    return counts;
  }

  /** Resolves once every instance in `names` has issued IDs since the call (any of its incarnations). */
  async waitForEveryInstance(names: readonly string[], timeoutMs: number): Promise<void> {
    const before = this.countsByLabel();
    await waitFor(
      'every instance to issue IDs again',
      () => {
        const now = this.countsByLabel();
        return names.every((name) =>
          Object.keys(now).some((label) => label.startsWith(`${name}#`) && now[label] > (before[label] ?? 0)),
        );
      },
      timeoutMs,
    );
  }

  /** Wall-clock time (Unix ms) of the last response with IDs from incarnation `label`. */
  lastIssued(label: string): number | undefined {
    return this.lastIssuedAt.get(label);
  }

  unableToIssueMs(): Record<string, number> {
    return Object.fromEntries(this.unavailableMs);
  }

  /** Descriptions of every pair of holders of one node ID whose timestamp ranges overlap or are out of order. */
  overlappingHolders(): string[] {
    const ranges = new Map<number, Map<string, { min: number; max: number }>>();
    for (const [id, label] of this.issuer) {
      const { timestamp, nodeId } = this.codec.decode(id);
      const byLabel = ranges.get(nodeId) ?? new Map<string, { min: number; max: number }>();
      ranges.set(nodeId, byLabel);
      const range = byLabel.get(label);
      if (range) {
        range.min = Math.min(range.min, timestamp);
        range.max = Math.max(range.max, timestamp);
      } else byLabel.set(label, { min: timestamp, max: timestamp });
    }
    const problems: string[] = [];
    for (const [nodeId, byLabel] of ranges) {
      const holders = [...byLabel].sort((a, b) => a[1].min - b[1].min);
      for (let i = 1; i < holders.length; i++) {
        const [prevLabel, prev] = holders[i - 1];
        const [label, range] = holders[i];
        if (range.min <= prev.max) {
          problems.push(
            `node ${nodeId}: ${label} [${range.min}..${range.max}] overlaps ${prevLabel} [${prev.min}..${prev.max}]`,
          );
        }
      }
    }
    return problems;
  }

  /** Holders (incarnation labels) that issued IDs with each node ID. */
  holdersByNode(): Record<number, string[]> {
    const holders: Record<number, Set<string>> = {};
    for (const [id, label] of this.issuer) (holders[this.codec.decode(id).nodeId] ??= new Set()).add(label);
    return Object.fromEntries(Object.entries(holders).map(([node, labels]) => [node, [...labels]]));
  }

  summary(): string {
    return (
      `${this.total} IDs, ${this.duplicates.length} duplicates; issued per incarnation ${JSON.stringify(this.countsByLabel())}; ` +
      `time unable to issue (ms) ${JSON.stringify(this.unableToIssueMs())}`
    );
  }

  private async loop(
    name: string,
    current: () => { service: ServiceProcess; label: string } | undefined,
  ): Promise<void> {
    let failingSince: number | undefined;
    while (!this.stopped) {
      const target = current();
      let ids: string[] | undefined;
      if (target?.service.isRunning) {
        try {
          const response = await fetch(`${target.service.url}/ids?count=${this.batch}`, {
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await response.json()) as { ids?: string[] };
          if (response.status === 200) ids = body.ids;
        } catch {
          // connection refused or reset: the instance is down or restarting
        }
      }
      const now = performance.now();
      if (ids) {
        for (const id of ids) {
          if (this.issuer.has(id)) this.duplicates.push(id);
          else this.issuer.set(id, target!.label);
        }
        this.lastIssuedAt.set(target!.label, Date.now());
        if (failingSince !== undefined)
          this.unavailableMs.set(name, this.unavailableMs.get(name)! + now - failingSince);
        failingSince = undefined;
      } else {
        failingSince ??= now;
        // Pace retries against an instance that cannot issue; successful requests go back to back.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    if (failingSince !== undefined) {
      this.unavailableMs.set(name, this.unavailableMs.get(name)! + performance.now() - failingSince);
    }
  }
}
