/**
 * Cleanup work that runs once in-flight requests are answered (or cut), registered through
 * `ShutdownService.registerHook`. Hooks of a stage run one after the other, in registration order.
 * Work tied to a provider's lifetime belongs in Nest's own `beforeApplicationShutdown` / `onApplicationShutdown`,
 * which `app.close()` runs between the two stages.
 */
export interface ShutdownHook {
  /** Shown in the log line of the hook. Unique. */
  name: string;
  /** The work; a rejection or a throw is logged and the sequence moves on. */
  run(): unknown;
  /** Longest time the hook may take before the sequence moves on without it. Default: the module's `hookTimeoutMs`. */
  timeoutMs?: number;
  /**
   * `before-app-close` (default): while connections to MongoDB, Redis... are still open (finish a batch, release a lock).
   * `after-app-close`: after Nest's lifecycle hooks (flush telemetry, a last log line).
   */
  stage?: 'before-app-close' | 'after-app-close';
}
