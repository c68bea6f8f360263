import { describe, expect, it } from 'vitest';
import { DisposerStack } from '../../../src/util/disposers.js';

describe('DisposerStack', () => {
  it('runs cleanups last in first out, awaits each, reports a failing one and still runs the rest', async () => {
    const order: string[] = [];
    const errors: string[] = [];
    const stack = new DisposerStack((what, err) => errors.push(`${what}: ${(err as Error).message}`));
    stack.push({ what: 'first', run: () => void order.push('first') });
    stack.push({ what: 'second', run: async () => (await new Promise((r) => setTimeout(r, 5)), order.push('second')) });
    stack.push({
      what: 'third',
      run: () => {
        order.push('third');
        throw new Error('boom');
      },
    });
    await stack.dispose();
    expect(order).toEqual(['third', 'second', 'first']);
    expect(errors).toEqual(['third: boom']);
    expect(stack.size).toBe(0);
  });

  it('a second dispose during the first waits for it and runs nothing twice', async () => {
    let runs = 0;
    const stack = new DisposerStack(() => undefined);
    stack.push({ what: 'slow', run: () => new Promise<void>((r) => setTimeout(() => (runs++, r()), 10)) });
    await Promise.all([stack.dispose(), stack.dispose()]);
    expect(runs).toBe(1);
  });
});
