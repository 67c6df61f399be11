import { EventEmitter } from 'node:events';
import type { mongo } from 'mongoose';
import { watchHeartbeats } from './heartbeat-watch';

// A pure timer state machine over the driver's heartbeat events, so a stand-in client and fake timers.
function client(): EventEmitter & Pick<mongo.MongoClient, 'options'> {
  return Object.assign(new EventEmitter(), {
    options: { connectTimeoutMS: 2_000, heartbeatFrequencyMS: 10_000 } as mongo.MongoClient['options'],
  });
}

const BOUND_MS = 2 * 2_000 + 10_000;
const A = { connectionId: 'db:27017' };

describe('watchHeartbeats', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports a heartbeat that neither succeeds nor fails within the bound, once, and stops watching', () => {
    const emitter = client();
    const onStuck = jest.fn();
    watchHeartbeats(emitter as unknown as mongo.MongoClient, onStuck);
    emitter.emit('serverHeartbeatStarted', A);
    jest.advanceTimersByTime(BOUND_MS - 1);
    expect(onStuck).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(onStuck).toHaveBeenCalledWith('db:27017', BOUND_MS);
    expect(emitter.listenerCount('serverHeartbeatStarted')).toBe(0);
  });

  it('lets heartbeats that end, successfully or not, pass however many there are', () => {
    const emitter = client();
    const onStuck = jest.fn();
    watchHeartbeats(emitter as unknown as mongo.MongoClient, onStuck);
    for (let i = 0; i < 5; i++) {
      emitter.emit('serverHeartbeatStarted', A);
      jest.advanceTimersByTime(BOUND_MS - 1);
      emitter.emit(i % 2 ? 'serverHeartbeatFailed' : 'serverHeartbeatSucceeded', A);
    }
    jest.advanceTimersByTime(BOUND_MS * 2);
    expect(onStuck).not.toHaveBeenCalled();
  });

  it('stops on request: no report, no listeners left', () => {
    const emitter = client();
    const onStuck = jest.fn();
    const stop = watchHeartbeats(emitter as unknown as mongo.MongoClient, onStuck);
    emitter.emit('serverHeartbeatStarted', A);
    stop();
    jest.advanceTimersByTime(BOUND_MS * 2);
    expect(onStuck).not.toHaveBeenCalled();
    expect(emitter.eventNames()).toEqual([]);
  });
});
