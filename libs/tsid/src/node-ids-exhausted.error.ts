const brand = Symbol.for('nestjs-reliability.NodeIdsExhaustedError');

/** Every node ID of the layout is leased by a live instance, so this one cannot take part. */
export class NodeIdsExhaustedError extends Error {
  readonly [brand] = true;
  override readonly name = 'NodeIdsExhaustedError';

  constructor(
    readonly total: number,
    readonly held: number,
  ) {
    super(
      `All ${total} TSID node IDs are leased (${held} of ${total} held by live instances), so this instance cannot ` +
        'get one. Run fewer instances, wait for the lease of a crashed one to expire, or give every instance more node bits.',
    );
  }
}

export const isNodeIdsExhaustedError = (error: unknown): error is NodeIdsExhaustedError =>
  typeof error === 'object' && error !== null && brand in error;
