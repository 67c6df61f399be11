import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnBufferedDestination } from './turn-buffered.destination';

function recorder(): { writes: string[]; write(chunk: string): void } {
  const writes: string[] = [];
  return { writes, write: (chunk: string) => void writes.push(chunk) };
}

/** A destination in its serving mode, as the app factory's is once the service listens. */
function buffered(target: { write(chunk: string): void }): TurnBufferedDestination {
  const destination = new TurnBufferedDestination(target);
  destination.bufferTurns();
  return destination;
}

describe('TurnBufferedDestination', () => {
  it('writes every line at once until it is told to buffer (start-up shows how far it got)', () => {
    const target = recorder();
    const logger = pino({ base: null, timestamp: false }, new TurnBufferedDestination(target));
    logger.info('a');
    logger.info('b');
    expect(target.writes).toEqual(['{"level":30,"msg":"a"}\n', '{"level":30,"msg":"b"}\n']);
  });

  it('writes the lines of one turn together, in order, when the turn ends', async () => {
    const target = recorder();
    const logger = pino({ base: null, timestamp: false }, buffered(target));
    logger.info('a');
    logger.warn('b');
    expect(target.writes).toEqual([]);
    await nextTurn();
    expect(target.writes).toEqual(['{"level":30,"msg":"a"}\n{"level":40,"msg":"b"}\n']);
    logger.info('c');
    await nextTurn();
    expect(target.writes).toHaveLength(2);
  });

  it('writes an error line at once, after the lines before it', () => {
    const target = recorder();
    const logger = pino({ base: null, timestamp: false }, buffered(target));
    logger.info('before');
    logger.error('broken');
    expect(target.writes).toEqual(['{"level":30,"msg":"before"}\n{"level":50,"msg":"broken"}\n']);
  });

  it('writes what is pending when the process exits in the same turn', () => {
    const script = [
      `const pino = require('pino');`,
      `const { TurnBufferedDestination } = require(${JSON.stringify(join(__dirname, 'turn-buffered.destination.ts'))});`,
      `const destination = new TurnBufferedDestination(pino.destination({ dest: 1, sync: true }));`,
      `destination.bufferTurns();`,
      `const logger = pino({ base: null, timestamp: false }, destination);`,
      `logger.info('last words');`,
      `process.exit(3);`,
    ].join('\n');
    const run = spawnSync(process.execPath, ['-r', join(__dirname, '../../../../bench/register.js'), '-e', script], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(run.stdout).toBe('{"level":30,"msg":"last words"}\n');
  });
});
