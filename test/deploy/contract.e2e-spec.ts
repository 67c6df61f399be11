import { contract, serviceEnvNames } from './deploy-support';

// The contract beside the service is what users, manifests and these suites read: it must say what the code does.
describe('the service contract (apps/enterprise-service/CONTRACT.md)', () => {
  it('lists exactly the environment variables the configuration reads', () => {
    expect([...contract().env.keys()].sort()).toEqual([...serviceEnvNames()].sort());
  });
});
