/** Outcome classes (pure): the model's verdicts and the kernel's observations on one scale. */
import { describe, expect, it } from 'vitest';
import { expectedClasses, kernelClass, modelClasses } from '../../src/lab/outcome.js';
import type { Trace } from '../../src/trace/types.js';

const trace = (verdict: Trace['verdict']) => ({ verdict }) as Trace;

describe('outcome classes', () => {
  it.each([
    ['delivered', ['connected']],
    ['rejected', ['refused']],
    ['dropped', ['request-lost']],
    ['no-route', ['request-lost']],
    ['reply-lost', ['reply-lost']],
    ['timeout', ['request-lost', 'reply-lost']],
    ['unknown', undefined],
  ] as const)('a model verdict %s allows %j', (v, classes) => {
    expect(expectedClasses(v)).toEqual(classes);
  });

  it('allows the classes of every branch of a forked walk, and none when a branch is unknown', () => {
    expect(modelClasses([trace('delivered'), trace('dropped'), trace('delivered')])?.sort()).toEqual(['connected', 'request-lost']);
    expect(modelClasses([trace('delivered'), trace('unknown')])).toBeUndefined();
  });

  it.each([
    ['connected', [], 'connected'],
    ['refused', [], 'refused'],
    ['unreachable', [], 'refused'],
    ['refused', ['ns-db'], 'refused'],
    ['timeout', [], 'request-lost'],
    ['timeout', ['ns-db'], 'reply-lost'],
    ['error', ['ns-db'], undefined],
  ] as const)('a client that saw %s with the request counted in %j is %s', (client, arrived, cls) => {
    expect(kernelClass(client, arrived)).toBe(cls);
  });
});
