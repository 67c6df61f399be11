import { redactSecrets } from './redact-secrets';

describe('redactSecrets', () => {
  it('replaces a connection string with its password', () => {
    const reason = redactSecrets('connect failed: mongodb://admin:s3cr3t@db.internal:27017/app?authSource=admin');
    expect(reason).toBe('connect failed: [redacted url]');
  });

  it('replaces user:password@host pairs written without a scheme', () => {
    expect(redactSecrets('auth failed for admin:s3cr3t@db.internal')).toBe('auth failed for [redacted]');
  });

  it('keeps only the first line, so no stack trace reaches a body', () => {
    const error = new Error('boom');
    expect(redactSecrets(error.stack!)).toBe('Error: boom');
  });

  it('caps the length at 200 characters', () => {
    expect(redactSecrets('x'.repeat(500))).toHaveLength(200);
  });
});
