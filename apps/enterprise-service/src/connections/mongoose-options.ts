import type { ConnectOptions } from 'mongoose';
import type { MongoDbConfig } from '../config/app-config';

/**
 * Options of every mongoose connection attempt, the first and the connector's retries alike. Commands are not
 * buffered while MongoDB is away (requests get a 503 at once). An option already written in the URI's query string
 * wins: the driver would otherwise let these override it.
 */
export function mongooseOptions(config: MongoDbConfig): ConnectOptions {
  const configured: ConnectOptions = {
    minPoolSize: config.minPoolSize,
    maxPoolSize: config.maxPoolSize,
    serverSelectionTimeoutMS: config.serverSelectionTimeoutMs,
    socketTimeoutMS: config.socketTimeoutMs,
    retryReads: config.retryReads,
    retryWrites: config.retryWrites,
  };
  const query = config.uri.includes('?') ? config.uri.slice(config.uri.indexOf('?') + 1) : '';
  const inUri = new Set([...new URLSearchParams(query).keys()].map((key) => key.toLowerCase()));
  const options: ConnectOptions = { bufferCommands: false, connectTimeoutMS: 2_000 };
  for (const [key, value] of Object.entries(configured)) {
    if (!inUri.has(key.toLowerCase())) Object.assign(options, { [key]: value as unknown });
  }
  return options;
}
