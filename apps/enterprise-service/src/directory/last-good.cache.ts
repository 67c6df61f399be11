import { Injectable } from '@nestjs/common';

export const LAST_GOOD_CAPACITY = 10_000;

/** The last good upstream answer per key, least recently used evicted beyond `LAST_GOOD_CAPACITY` keys. */
@Injectable()
export class LastGoodCache {
  private readonly entries = new Map<string, unknown>();

  get(key: string): unknown {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > LAST_GOOD_CAPACITY) this.entries.delete(this.entries.keys().next().value!);
  }
}
