/** The prom-client `Registry` every library of this toolkit registers into. Inject it to add your own collectors. */
export const METRICS_REGISTRY = Symbol('nestjs-reliability:metrics-registry');
