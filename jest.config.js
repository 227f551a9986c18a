// Two projects: `npm run test:unit` (specs next to the code) and `npm run test:e2e` (the real app
// against the sandbox, stand-ins, Redis and child processes); `npm test` runs both, each spec once.
const project = (displayName, testMatch) => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch,
});

module.exports = {
  projects: [project('unit', ['<rootDir>/src/**/*.spec.ts']), project('e2e', ['<rootDir>/test/**/*.e2e-spec.ts'])],
  // One Redis key namespace per run, checked empty at the end, whichever projects ran.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
