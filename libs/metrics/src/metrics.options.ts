import type { Registry } from 'prom-client';

export interface MetricsModuleOptions {
  /** Prepended to the name of every metric created through `MetricsService` (e.g. `enterprise_service_`). */
  prefix?: string;
  /** Use this registry instead of a fresh one per application. */
  registry?: Registry;
}
