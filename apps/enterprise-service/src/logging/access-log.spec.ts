import pino from 'pino';
import { loadConfig } from '../config/app-config';
import { AccessLog } from './access-log';
import { createRootLogger } from './root-logger';

function capture() {
  const lines: string[] = [];
  return { lines, write: (line: string) => void lines.push(line) };
}

const REQUESTS: Array<[string, string, string, number, number]> = [
  ['0b6f4a52-6a25-4f53-9a3e-1e0c7a3e8f00', 'GET', '/demo/ping', 200, 0.1234567],
  ['caller.id:42-x_y', 'POST', '/organizations?x="quoted"&y=\\back\\slash', 201, 12],
  ['r', 'GET', '/directory/caf\u00e9\u00ff%20x', 304, 1000.0005],
  ['r', 'DELETE', '/a\u0001b\u007f', 200, 0],
];

describe('AccessLog', () => {
  beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(1_767_225_600_123));
  afterEach(() => jest.restoreAllMocks());

  it('writes the info line of the root logger byte for byte as pino writes it', () => {
    const config = loadConfig({ LOG_LEVEL: 'info' });
    const direct = capture();
    const viaPino = capture();
    const root = createRootLogger(config, direct);
    const pinoInfo = jest.spyOn(root, 'info');
    const fast = new AccessLog(root);
    // A mixin that adds nothing leaves the line as it was but turns the direct path off: pino writes this one.
    const generic = new AccessLog(pino({ ...loggerOptions(config), mixin: () => ({}) }, viaPino));
    for (const request of REQUESTS) {
      fast.requestCompleted(...request);
      generic.requestCompleted(...request);
    }
    expect(pinoInfo).not.toHaveBeenCalled(); // the direct path wrote these
    expect(direct.lines).toEqual(viaPino.lines);
    expect(direct.lines).toHaveLength(REQUESTS.length);
    expect(JSON.parse(direct.lines[1])).toEqual({
      level: 30,
      time: 1_767_225_600_123,
      service: config.service.name,
      version: config.service.version,
      reqId: 'caller.id:42-x_y',
      req: { method: 'POST', url: '/organizations?x="quoted"&y=\\back\\slash' },
      res: { statusCode: 201 },
      responseTime: 12,
      msg: 'request completed',
    });
  });

  it('logs 4xx at warn and 5xx at error through pino, and nothing below warn at LOG_LEVEL=warn', () => {
    const out = capture();
    const log = new AccessLog(createRootLogger(loadConfig({ LOG_LEVEL: 'warn' }), out));
    log.requestCompleted('r', 'GET', '/demo/ping', 200, 1);
    log.requestCompleted('r', 'GET', '/missing', 404, 1);
    log.requestCompleted('r', 'GET', '/broken', 500, 1);
    expect(out.lines.map((line) => (JSON.parse(line) as { level: number }).level)).toEqual([40, 50]);
  });
});

function loggerOptions(config: ReturnType<typeof loadConfig>): pino.LoggerOptions {
  return { level: config.logLevel, base: { service: config.service.name, version: config.service.version } };
}
