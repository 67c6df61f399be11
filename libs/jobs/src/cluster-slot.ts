/** What is used of an ioredis `Cluster` (BullMQ brings ioredis; this package does not import it). */
export interface ClusterLike {
  readonly status: string;
  readonly slots: ReadonlyArray<readonly string[] | undefined>;
  nodes(role: 'master'): ReadonlyArray<{ readonly status: string; readonly options: { host?: string; port?: number } }>;
}

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster maps keys to its 16384 slots with. */
const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

/** The slot of `key`: of its hash tag (the bytes between the first `{` and the next `}`) when that is not empty. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc & 0x3fff;
}

/**
 * The ioredis status of the connection to the primary that serves `key` on `cluster`: the cluster's own status
 * stays `ready` while nodes are gone that it has not reached since. A node's connection ends with its server and
 * leaves the pool; the one the cluster makes in its place stays `wait` until a command is sent through it.
 */
export function clusterStatusFor(cluster: ClusterLike, key: string): string {
  if (cluster.status !== 'ready') return cluster.status;
  const primary = cluster.slots[keySlot(key)]?.[0];
  const node = cluster.nodes('master').find(({ options }) => `${options.host}:${options.port}` === primary);
  return node?.status ?? 'end';
}
