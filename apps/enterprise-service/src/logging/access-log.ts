import pino, { type Logger } from 'pino';

// Probes and scrapes are frequent and say nothing about traffic.
const QUIET_PATHS = /^\/(health\/|metrics(\?|$))/;

const S = pino.symbols;
const INFO = 30;
// Not in pino's typings, but in `pino.symbols` like the rest.
const MSG_PREFIX = (S as unknown as Record<string, symbol>).msgPrefixSym;
type Internals = Record<symbol, unknown>;

/** Where pino would put the info line, when this logger's options leave its format the default one. */
interface InfoLineTarget {
  /** `{"level":30` */
  readonly head: string;
  /** The logger's bindings (`,"service":…,"version":…`). */
  readonly bindings: string;
  /** `}\n` */
  readonly end: string;
  readonly stream: { write(line: string): void; lastLevel?: number; [key: symbol]: unknown };
}

/**
 * The info line is the one written for almost every request; pino's generic path (walking the object, stringifying
 * nested objects, allocating them first) costs about 2 µs of it. When the logger formats as pino does by default
 * (epoch time, `msg`, no mixin, formatter, redaction, hook or serializer of these fields; the root logger of
 * root-logger.ts), the line is built directly, byte for byte as pino would write it (access-log.spec.ts).
 */
function infoLineTarget(logger: Logger): InfoLineTarget | undefined {
  const internals = logger as unknown as Internals;
  const formatters = internals[S.formattersSym] as { log?: unknown };
  const serializers = internals[S.serializersSym] as Record<string, unknown>;
  const hooks = internals[S.hooksSym] as { streamWrite?: unknown };
  const plain =
    internals[S.timeSym] === pino.stdTimeFunctions.epochTime &&
    internals[S.messageKeySym] === 'msg' &&
    !internals[S.nestedKeySym] &&
    !internals[S.mixinSym] &&
    !internals[MSG_PREFIX] &&
    !formatters.log &&
    !hooks.streamWrite &&
    Object.keys(internals[S.stringifiersSym] as object).length === 0 &&
    !['reqId', 'req', 'res', 'responseTime', 'msg'].some((key) => serializers[key]);
  if (!plain) return undefined;
  return {
    head: (internals[S.lsCacheSym] as Record<number, string>)[INFO],
    bindings: internals[S.chindingsSym] as string,
    end: internals[S.endSym] as string,
    stream: internals[S.streamSym] as InfoLineTarget['stream'],
  };
}

/**
 * Writes the access log of requests: one line per answered request, at info (warn for a 4xx, error for a 5xx,
 * with no error object: the status says it), except for probes and metrics scrapes. Which levels are on is read
 * once, so a request whose line would be dropped costs one comparison.
 */
export class AccessLog {
  private readonly minStatus: number;
  private readonly info: InfoLineTarget | undefined;

  constructor(private readonly logger: Logger) {
    this.info = infoLineTarget(logger);
    this.minStatus = logger.isLevelEnabled('info')
      ? 0
      : logger.isLevelEnabled('warn')
        ? 400
        : logger.isLevelEnabled('error')
          ? 500
          : Infinity;
  }

  /** False when not even a 5xx would be logged: no need to watch responses at all. */
  get enabled(): boolean {
    return this.minStatus !== Infinity;
  }

  requestCompleted(
    reqId: string,
    method: string | undefined,
    url: string,
    statusCode: number,
    responseTimeMs: number,
  ): void {
    if (statusCode < this.minStatus || QUIET_PATHS.test(url)) return;
    const responseTime = Math.round(responseTimeMs * 1000) / 1000;
    if (statusCode < 400 && method !== undefined && this.info) {
      const { head, bindings, end, stream } = this.info;
      // The fields pino would write, in its order; a request id is a UUID or matches /^[\w.:-]+$/ (request-id.ts).
      const line =
        `${head},"time":${Date.now()}${bindings},"reqId":"${reqId}","req":{"method":${JSON.stringify(method)},` +
        `"url":${JSON.stringify(url)}},"res":{"statusCode":${statusCode}},"responseTime":${responseTime},` +
        `"msg":"request completed"${end}`;
      if (stream[S.needsMetadataGsym]) stream.lastLevel = INFO;
      stream.write(line);
      return;
    }
    const line = {
      reqId,
      req: { method, url },
      res: { statusCode },
      responseTime,
    };
    if (statusCode >= 500) this.logger.error(line, 'request completed');
    else if (statusCode >= 400) this.logger.warn(line, 'request completed');
    else this.logger.info(line, 'request completed');
  }
}
