import { type ServiceProcess, startService } from '../support';

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

  async killAll(): Promise<void> {
    await Promise.all(this.history.map(({ service }) => service.kill()));
  }
}
