export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Deeper bodies answer 400: nothing this API accepts nests, and the validation pipe recurses per level. */
export const MAX_JSON_DEPTH = 32;

/** A request body the service refuses, with the status and message of the JSON answer. */
export class BodyError extends Error {
  override readonly name = 'BodyError';

  constructor(
    readonly statusCode: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }

  /** The JSON answer, in the shape of Nest's own errors. */
  toJSON(): { statusCode: number; error: string; message: string } {
    return { statusCode: this.statusCode, error: ERROR_NAMES[this.statusCode], message: this.message };
  }
}

const ERROR_NAMES = { 400: 'Bad Request', 413: 'Payload Too Large', 415: 'Unsupported Media Type' } as const;

// `application/json`, then parameters; only `charset` means anything, and only UTF-8 is JSON (RFC 8259 §8.1).
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(;|$)/i;
const CHARSET = /;[ \t]*charset[ \t]*=[ \t]*("?)([^";]*)\1[ \t]*(;|$)/i;

/**
 * Why a request body with this `Content-Type` is refused, or undefined when it is JSON in UTF-8. Bodies are JSON
 * only, so a plain cross-site form (`application/x-www-form-urlencoded`, `text/plain`) can never post one.
 */
export function contentTypeError(contentType: string | undefined): BodyError | undefined {
  if (contentType === undefined || !JSON_MEDIA_TYPE.test(contentType)) {
    return new BodyError(415, 'request bodies must be JSON (Content-Type: application/json)');
  }
  const charset = CHARSET.exec(contentType)?.[2].trim().toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new BodyError(400, 'unsupported charset; JSON bodies must be UTF-8');
  }
  return undefined;
}

/** Parses a JSON body; malformed or nested deeper than {@link MAX_JSON_DEPTH} is a 400, never a stack overflow. */
export function parseJsonBody(text: string): unknown {
  if (text.length > MAX_JSON_DEPTH && nestsTooDeep(text)) {
    throw new BodyError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, 'malformed JSON');
  }
}

/** One pass over the text, skipping strings; stops at the first level too deep. */
function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
