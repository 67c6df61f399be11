// End-to-end tests: real service processes, real Redis, real sockets. Run serially: they bind ports and spawn processes.
module.exports = {
  ...require('./jest.shared'),
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/libs/**/*.e2e-spec.ts'],
  maxWorkers: 1,
  testTimeout: 60_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
};
