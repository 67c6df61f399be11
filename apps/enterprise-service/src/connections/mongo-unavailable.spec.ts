import { mongo } from 'mongoose';
import { isMongoUnavailableError } from './mongo-unavailable';

describe('isMongoUnavailableError', () => {
  it('is true for a lost connection, whether the driver wrapped the socket error or let it through', () => {
    expect(isMongoUnavailableError(new mongo.MongoNetworkError('connection 4 to db:27017 closed'))).toBe(true);
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
    expect(isMongoUnavailableError(epipe)).toBe(true);
  });

  it('is false for a failure of the operation itself', () => {
    expect(isMongoUnavailableError(new mongo.MongoServerError({ code: 11000, errmsg: 'duplicate key' }))).toBe(false);
    expect(isMongoUnavailableError(Object.assign(new Error('bad'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
  });
});
