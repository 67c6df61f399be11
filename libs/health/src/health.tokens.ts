/** The validated options with their defaults applied (`ResolvedHealthOptions`). */
export const RESOLVED_HEALTH_OPTIONS = Symbol('nestjs-reliability:health-options');
