/** An ICMP echo's reply is an echo-reply (type 0): `--icmp-type 8` rules do not catch it, `--icmp-type 0` ones do (found by the lab differential test). */
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { withIptablesInsert } from '../../src/fix/what-if.js';
import { compileWorld } from '../../src/trace/world.js';
import { fixture, traceOne } from '../helpers/estates.js';

const eks = loadEstateFile(fixture('eks-secondary-eni'));
const pingPod = (type: string) => {
  const e = withIptablesInsert(eks, ['n1'], { table: 'filter', chain: 'INPUT', rule: `-p icmp -m icmp --icmp-type ${type} -j REJECT --reject-with icmp-admin-prohibited`, label: `reject icmp ${type}` });
  return traceOne(compileWorld(e), { src: 'node:n1', dst: 'pod:web-a', proto: 'icmp' });
};

describe('ICMP replies walk node rules as echo-replies', () => {
  it('a node\'s ping to its own pod is answered although INPUT rejects echo-requests', () => {
    expect(pingPod('8').verdict).toBe('delivered');
    expect(pingPod('echo-request').verdict).toBe('delivered');
  });

  it('INPUT rejecting echo-replies loses the reply', () => {
    const t = pingPod('0');
    expect(t.verdict).toBe('reply-lost');
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'node-netfilter', decision: 'reject' });
  });
});
