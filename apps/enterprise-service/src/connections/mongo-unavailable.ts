import { mongo } from 'mongoose';

// Server answers meaning "not now, this node is stepping down or shutting down": a retry elsewhere or later can work.
const NOT_AVAILABLE_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);
// The driver (mongodb 7.8) lets a socket's own error through unwrapped when it writes to a connection the server has
// just closed, before it saw the close: Node's EPIPE "This socket has been ended by the other party".
const SOCKET_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT']);

/**
 * True for a failure that says MongoDB cannot be reached or cannot serve right now (connection lost or refused, a
 * socket error, no server selectable, pool cleared (a network error), client closed at shutdown, node not primary or shutting down), which a request
 * answers with 503; false for a failure of the operation itself (a duplicate key, a validation error), a bug to see.
 */
export function isMongoUnavailableError(error: unknown): boolean {
  if (error instanceof mongo.MongoServerError) return NOT_AVAILABLE_CODES.has(Number(error.code));
  return (
    error instanceof mongo.MongoNetworkError ||
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoNotConnectedError ||
    error instanceof mongo.MongoTopologyClosedError ||
    error instanceof mongo.MongoClientClosedError ||
    // mongoose's own wrapper of a server selection failure
    (error instanceof Error && error.name === 'MongooseServerSelectionError') ||
    (error instanceof Error && SOCKET_ERROR_CODES.has(String((error as NodeJS.ErrnoException).code)))
  );
}
