import { loadConfig } from '../config/app-config';
import { mongooseOptions } from './mongoose-options';

describe('mongooseOptions', () => {
  it('passes the configured pool, timeouts and retries to the driver, without buffering', () => {
    expect(mongooseOptions(loadConfig({}).mongodb)).toEqual({
      bufferCommands: false,
      connectTimeoutMS: 2_000,
      minPoolSize: 2,
      maxPoolSize: 10,
      serverSelectionTimeoutMS: 5_000,
      socketTimeoutMS: 45_000,
      retryReads: true,
      retryWrites: true,
    });
  });

  it('leaves an option written in the URI to the URI, whatever its case', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://db:27017/app?serverselectiontimeoutms=500&retryWrites=false',
      MONGODB_MAX_POOL_SIZE: '20',
    }).mongodb;
    const options = mongooseOptions(config);
    expect(options).not.toHaveProperty('serverSelectionTimeoutMS');
    expect(options).not.toHaveProperty('retryWrites');
    expect(options).toMatchObject({ maxPoolSize: 20, retryReads: true });
  });
});
