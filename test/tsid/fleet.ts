import { type ServiceProcess, startService } from '../support';

/** Small seeded PRNG (mulberry32), so a failing chaos run can be replayed from its printed seed. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exit seen by the supervisor, and the incarnation that replaced it. */
export interface Restart {
  exited: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  restartedAs?: string;
}

/** One start of a named instance: its label (`A#2`), when it answered liveness and when it exited (Unix ms). */
export interface Incarnation {
  name: string;
  label: string;
  service: ServiceProcess;
  startedAt: number;
  exitedAt?: number;
}

/**
 * Named reference-service instances that can be restarted: each start is a new incarnation (`A#1`, `A#2`...),
 * which is what the range check in `IdTraffic` tells apart.
 */
export class Fleet {
  private readonly current = new Map<string, { service: ServiceProcess; label: string }>();
  private readonly incarnations = new Map<string, number>();
  readonly history: Incarnation[] = [];

  constructor(private readonly env: Record<string, string>) {}

  /** Starts (or restarts) `name` and waits until it answers liveness; it may not issue IDs yet. */
  async start(name: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const incarnation = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, incarnation);
    const service = await startService({ env: { ...this.env, ...env }, timeoutMs: 30_000 });
    const entry: Incarnation = { name, label: `${name}#${incarnation}`, service, startedAt: Date.now() };
    void service.exited.then(() => (entry.exitedAt = Date.now()));
    this.history.push(entry);
    this.current.set(name, { service, label: entry.label });
    return service;
  }

  /** Starts `name` and waits until `/ids` answers 200 (after any quarantine). */
  async startIssuing(name: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await this.start(name, env);
    await service.waitForStatus('/ids', 200, 15_000);
    return service;
  }

  service(name: string): ServiceProcess {
    const entry = this.current.get(name);
    if (!entry) throw new Error(`No instance named ${name} was started.`);
    return entry.service;
  }

  target(name: string): () => { service: ServiceProcess; label: string } | undefined {
    return () => this.current.get(name);
  }

  /**
   * The orchestrator: whatever exits is started again with `env`, until the returned `stop()`. Every exit and
   * restart is recorded in `restarts`.
   */
  supervise(names: string[], env: (name: string) => Record<string, string> = () => ({})) {
    const restarts: Restart[] = [];
    let supervising = true;
    const loops = names.map(async (name) => {
      while (supervising) {
        const { label } = this.target(name)()!;
        const exit = await this.service(name).exited;
        const restart: Restart = { exited: label, ...exit };
        restarts.push(restart);
        while (supervising) {
          try {
            await this.start(name, env(name));
            restart.restartedAs = this.target(name)()!.label;
            break;
          } catch {
            // exited during start-up (e.g. SIGKILLed by the driver); start it again
          }
        }
      }
    });
    return {
      restarts,
      /** Stops restarting, kills every instance, and waits for the supervisors to finish. */
      stop: async () => {
        supervising = false;
        await this.killAll();
        await Promise.all(loops);
      },
    };
  }

  async killAll(): Promise<void> {
    await Promise.all(this.history.map(({ service }) => service.kill()));
  }
}
