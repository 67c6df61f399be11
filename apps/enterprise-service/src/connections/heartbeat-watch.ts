import type { mongo } from 'mongoose';

type HeartbeatEvent = { connectionId: string };

/**
 * Calls `onStuck` once when a heartbeat of the driver's server monitor has neither succeeded nor failed within the
 * longest a heartbeat can take (connect + handshake, each bounded by connectTimeoutMS, plus a streaming hello's wait
 * of heartbeatFrequencyMS). Returns a function that stops watching.
 *
 * Why: the driver (mongodb 7.8 and 7.9) can start a polling heartbeat on its monitor connection when the socket is
 * already destroyed but its 'close' event not yet delivered, as when the server dies and another connection's reset
 * requests an immediate check. The write then waits for a 'drain' that never comes, the monitor never checks again,
 * and mongoose stays disconnected after the server is back. A server without streaming hello (FerretDB) is always
 * polled; MongoDB 4.4+ streams, whose pending read fails with the socket instead.
 */
export function watchHeartbeats(client: mongo.MongoClient, onStuck: (address: string, ms: number) => void): () => void {
  const { connectTimeoutMS, heartbeatFrequencyMS } = client.options;
  const boundMs = 2 * connectTimeoutMS + heartbeatFrequencyMS;
  const timers = new Map<string, NodeJS.Timeout>();
  const ended = ({ connectionId }: HeartbeatEvent) => {
    clearTimeout(timers.get(connectionId));
    timers.delete(connectionId);
  };
  const started = (event: HeartbeatEvent) => {
    ended(event);
    const timer = setTimeout(() => {
      stop();
      onStuck(event.connectionId, boundMs);
    }, boundMs);
    timers.set(event.connectionId, timer.unref());
  };
  const stop = () => {
    client.off('serverHeartbeatStarted', started);
    client.off('serverHeartbeatSucceeded', ended);
    client.off('serverHeartbeatFailed', ended);
    for (const timer of timers.values()) clearTimeout(timer);
    timers.clear();
  };
  client.on('serverHeartbeatStarted', started);
  client.on('serverHeartbeatSucceeded', ended);
  client.on('serverHeartbeatFailed', ended);
  return stop;
}
