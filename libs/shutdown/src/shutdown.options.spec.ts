import { isInvalidOptionError } from '@nestjs-reliability/common';
import { resolveShutdownOptions, SHUTDOWN_DEFAULTS } from './shutdown.options';

describe('shutdown options', () => {
  it('defaults to SIGTERM and SIGINT, a 5 s drain, a 30 s timeout and 5 s per hook', () => {
    const options = resolveShutdownOptions();
    expect(options).toMatchObject({
      signals: ['SIGTERM', 'SIGINT'],
      drainDelayMs: 5_000,
      timeoutMs: 30_000,
      hookTimeoutMs: 5_000,
      handleFatalErrors: true,
    });
    expect(options).toMatchObject(SHUTDOWN_DEFAULTS);
    expect(typeof options.exit).toBe('function');
  });

  it('keeps the values given, including a zero drain delay and a zero timeout', () => {
    const exit = jest.fn();
    expect(resolveShutdownOptions({ signals: ['SIGUSR2'], drainDelayMs: 0, timeoutMs: 0, exit })).toMatchObject({
      signals: ['SIGUSR2'],
      drainDelayMs: 0,
      timeoutMs: 0,
      exit,
    });
  });

  it.each([
    [{ timeoutMs: -1 }, 'ShutdownModule: option "timeoutMs" is -1; it must be an integer from 0 to 2147483647.'],
    [
      { drainDelayMs: 1.5 },
      'ShutdownModule: option "drainDelayMs" is 1.5; it must be an integer from 0 to 2147483647.',
    ],
    [{ hookTimeoutMs: 0 }, 'ShutdownModule: option "hookTimeoutMs" is 0; it must be an integer from 1 to 2147483647.'],
    [
      { timeoutMs: 2 ** 31 },
      'ShutdownModule: option "timeoutMs" is 2147483648; it must be an integer from 0 to 2147483647.',
    ],
    [{ signals: ['SIGKILL'] }, 'option "signals[0]" is "SIGKILL"; it must name a signal a process can handle'],
    [{ signals: ['SIGTERM', 'TERM'] }, 'option "signals[1]" is "TERM"; it must name a signal a process can handle'],
    [{ exit: 'process.exit' }, 'option "exit" is "process.exit"; it must be a function'],
    [{ handleFatalErrors: 'yes' }, 'option "handleFatalErrors" is "yes"; it must be true or false'],
  ])('rejects %j naming the option, the value and what is allowed', (options, message) => {
    let thrown: unknown;
    try {
      resolveShutdownOptions(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(message);
  });
});
