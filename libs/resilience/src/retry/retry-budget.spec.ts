import { RetryBudget } from './retry-budget';

describe('RetryBudget', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  const withdrawals = (budget: RetryBudget, max = 10_000) => {
    let n = 0;
    while (n < max && budget.tryWithdraw()) n++;
    return n;
  };

  it('always allows the floor of minPerSecond retries per second of the window, even without traffic', () => {
    const budget = new RetryBudget('op', { minPerSecond: 3, windowSeconds: 10 }, clock);
    expect(withdrawals(budget)).toBe(30);
  });

  it('allows retries up to ratio of the calls on top of the floor', () => {
    const budget = new RetryBudget('op', { ratio: 0.1, minPerSecond: 0 }, clock);
    for (let i = 0; i < 1_000; i++) budget.deposit();
    expect(withdrawals(budget)).toBe(100);
  });

  it('frees the budget again as calls and retries leave the window', () => {
    const budget = new RetryBudget('op', { ratio: 0, minPerSecond: 1, windowSeconds: 10 }, clock);
    expect(withdrawals(budget, 4)).toBe(4);
    now += 5_000;
    expect(withdrawals(budget)).toBe(6);
    now += 4_999;
    expect(withdrawals(budget)).toBe(0);
    now += 1;
    expect(withdrawals(budget)).toBe(4);
    now += 60_000;
    expect(withdrawals(budget)).toBe(10);
  });

  it('forgets old calls, so a long quiet success streak cannot fund a retry storm', () => {
    const budget = new RetryBudget('op', { ratio: 0.1, minPerSecond: 0 }, clock);
    for (let i = 0; i < 10_000; i++) budget.deposit();
    now += 10_000;
    expect(withdrawals(budget)).toBe(0);
  });

  it('validates its options', () => {
    expect(() => new RetryBudget('Svc.get @Retry', { windowSeconds: 0 })).toThrow(
      'Svc.get @Retry: option "retryBudget.windowSeconds" is 0; it must be an integer from 1 to 3600.',
    );
  });
});
