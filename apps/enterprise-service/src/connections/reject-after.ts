/**
 * `operation`'s outcome, or a rejection with `timeoutError()` once `ms` have passed: a stalled dependency (accepting,
 * never answering) cannot hold a caller longer. The operation itself is not cancelled and may still take effect.
 */
export async function rejectAfter<T>(operation: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([operation, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
