/** A bad environment variable. main.ts prints the message as one line and exits 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    readonly value: string,
    readonly allowed: string,
  ) {
    super(`Invalid configuration: ${variable} is ${JSON.stringify(value)}; ${allowed}.`);
  }
}
