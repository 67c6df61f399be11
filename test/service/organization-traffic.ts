/** `POST /organizations` and `GET /organizations/:id` against a running service, as a client sees them. */

export interface Answer {
  /** HTTP status, or 'hang' when no answer came within the client's timeout, or 'error' for a transport failure. */
  status: number | 'hang' | 'error';
  body?: Record<string, unknown>;
  at: number;
  ms: number;
}

export async function call(
  url: string,
  method: 'GET' | 'POST',
  body?: object,
  timeoutMs = 10_000,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method,
      headers: body ? { 'content-type': 'application/json', ...headers } : headers,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
      at: started,
      ms: Date.now() - started,
    };
  } catch (error) {
    const status = (error as Error).name === 'TimeoutError' ? 'hang' : 'error';
    return { status, at: started, ms: Date.now() - started };
  }
}

export const createOrganization = (
  base: string,
  name: string,
  timeoutMs?: number,
  idempotencyKey?: string,
): Promise<Answer> =>
  call(
    `${base}/organizations`,
    'POST',
    { name },
    timeoutMs,
    idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
  );

export const readOrganization = (base: string, id: string, timeoutMs?: number): Promise<Answer> =>
  call(`${base}/organizations/${id}`, 'GET', undefined, timeoutMs);

/**
 * A steady stream of writes, each followed by a read of an organization acknowledged earlier, from `workers`
 * concurrent clients, until `stop()`. Every answer is kept, so a test can say what clients saw and when.
 */
export class OrganizationTraffic {
  readonly writes: Answer[] = [];
  readonly reads: Answer[] = [];
  /** Ids of organizations whose creation was answered 201. */
  readonly acknowledged: string[] = [];
  private running = true;
  private readonly done: Promise<void[]>;

  constructor(
    private readonly base: string,
    { workers = 4, timeoutMs = 10_000 } = {},
  ) {
    let sequence = 0;
    const worker = async (): Promise<void> => {
      while (this.running) {
        const write = await createOrganization(this.base, `org-${sequence++}`, timeoutMs);
        this.writes.push(write);
        if (write.status === 201) this.acknowledged.push(String(write.body!.id));
        if (this.acknowledged.length === 0) continue;
        const id = this.acknowledged[Math.floor(Math.random() * this.acknowledged.length)];
        this.reads.push(await readOrganization(this.base, id, timeoutMs));
      }
    };
    this.done = Promise.all(Array.from({ length: workers }, worker));
  }

  /** Writes with `status` answered after `since` (epoch ms). */
  count(status: Answer['status'], since = 0): number {
    return this.writes.filter((write) => write.status === status && write.at >= since).length;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Statuses seen, as `status → count`, for writes and for reads. */
  summary(): { writes: Record<string, number>; reads: Record<string, number> } {
    const tally = (answers: Answer[]) =>
      answers.reduce<Record<string, number>>((all, { status }) => ({ ...all, [status]: (all[status] ?? 0) + 1 }), {});
    return { writes: tally(this.writes), reads: tally(this.reads) };
  }
}

/** Ids among `ids` that `GET /organizations/:id` does not answer 200 for, read one at a time. */
export async function missingOrganizations(base: string, ids: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const id of ids) if ((await readOrganization(base, id)).status !== 200) missing.push(id);
  return missing;
}
