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
};
