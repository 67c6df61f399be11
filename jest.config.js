// Unit and in-process integration tests: `*.spec.ts` beside the code they test.
module.exports = {
  ...require('./jest.shared'),
  displayName: 'unit',
  testMatch: [
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/apps/**/*.spec.ts',
    '<rootDir>/test/support/**/*.spec.ts',
    '<rootDir>/test/docs/**/*.spec.ts',
  ],
  // Many specs start real redis-server processes in their hooks; on two loaded cores a 3-primary cluster took more
  // than jest's default 5 s to form. A bound for a hang, not a measure of speed.
  testTimeout: 30_000,
};
