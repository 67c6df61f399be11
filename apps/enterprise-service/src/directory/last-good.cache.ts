import { Injectable } from '@nestjs/common';

/** Total size of the cached answers (keys and JSON texts, UTF-16 code units): what bounds the memory, not a count. */
export const LAST_GOOD_MAX_BYTES = 16 * 1024 * 1024;
/** A larger answer is served but not kept: one huge entry would otherwise evict everything else. */
export const LAST_GOOD_MAX_ENTRY_BYTES = 256 * 1024;

interface Entry {
  readonly value: unknown;
  readonly size: number;
}

/** The last good upstream answer per key; least recently used evicted beyond `LAST_GOOD_MAX_BYTES`. */
@Injectable()
export class LastGoodCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** `textLength`: length of the answer as received, the measure of what keeping it costs. */
  set(key: string, value: unknown, textLength: number): void {
    this.delete(key);
    const size = key.length + textLength;
    if (size > LAST_GOOD_MAX_ENTRY_BYTES) return;
    this.entries.set(key, { value, size });
    this.bytes += size;
    while (this.bytes > LAST_GOOD_MAX_BYTES) this.delete(this.entries.keys().next().value!);
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.size;
  }
}
