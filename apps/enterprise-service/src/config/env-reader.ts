import { checkSecretToken, checkUrl, isInvalidOptionError } from '@nestjs-reliability/common';
import { ConfigError } from './config.error';

type Env = Record<string, string | undefined>;

/** Typed reads of environment variables; every failure names the variable, the value and what is allowed. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  /** The raw value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string, pattern?: RegExp, allowed?: string): string {
    const value = this.raw(name) ?? fallback;
    if (pattern && !pattern.test(value)) throw new ConfigError(name, value, allowed ?? `it must match ${pattern}`);
    return value;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    return this.optionalInteger(name, min, max) ?? fallback;
  }

  optionalInteger(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
      throw new ConfigError(name, value, `it must be ${range}`);
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = (this.raw(name) ?? fallback).toLowerCase() as T;
    if (!allowed.includes(value)) throw new ConfigError(name, value, `it must be one of ${allowed.join(', ')}`);
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    return this.oneOf(name, String(fallback) as 'true' | 'false', ['true', 'false']) === 'true';
  }

  /** A URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). Never echoes credentials. */
  url(name: string, fallback: string, protocols: readonly string[]): string {
    return this.check(name, this.raw(name) ?? fallback, (value) => checkUrl('', name, value, protocols));
  }

  /** A secret such as a bearer token, checked as the libraries check theirs; never echoed. */
  secret(name: string): string | undefined {
    const value = this.raw(name);
    return value === undefined ? undefined : this.check(name, value, (token) => checkSecretToken('', name, token));
  }

  /**
   * Runs a library's own option check on an environment value, so the service accepts exactly what the library
   * does, and turns its rejection into a `ConfigError` naming the variable (the check masks what is secret).
   */
  check<T>(name: string, value: string, check: (value: string) => T): T {
    try {
      return check(value);
    } catch (error) {
      if (!isInvalidOptionError(error)) throw error;
      throw new ConfigError(name, String(error.value), error.allowed);
    }
  }

  /** A comma list of `host:port` (e.g. Sentinels), or undefined when unset. */
  hostPorts(name: string): Array<{ host: string; port: number }> | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return value.split(',').map((item) => {
      const match = /^([A-Za-z0-9._-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(item.trim());
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65_535) {
        throw new ConfigError(
          name,
          value,
          `"${item.trim()}" is not host:port; use a comma list such as 10.0.0.1:26379,10.0.0.2:26379`,
        );
      }
      return { host: match[1].replace(/^\[|\]$/g, ''), port };
    });
  }

  list(name: string, fallback: readonly string[], allowed: readonly string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    const unknown = items.find((item) => !allowed.includes(item));
    if (unknown !== undefined) {
      throw new ConfigError(name, value, `"${unknown}" is not a check; use a comma list of ${allowed.join(', ')}`);
    }
    return [...new Set(items)];
  }
}
