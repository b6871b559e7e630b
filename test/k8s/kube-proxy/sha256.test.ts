/** SHA-256 and base32 against their standards' test vectors, and kube-proxy's chain names against real dumps. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base32, hex, sha256 } from '../../../src/k8s/kube-proxy/sha256.js';
import { sepChain, servicePortName, svcChain } from '../../../src/k8s/kube-proxy/names.js';
import { corpus } from '../../helpers/estates.js';

describe('sha256', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['a'.repeat(1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ])('hashes the FIPS 180-4 example of %# as its digest', (input, digest) => {
    expect(hex(sha256(input))).toBe(digest);
  });

  it('agrees with node:crypto on any string (UTF-8), including block-boundary lengths', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      expect(hex(sha256(s))).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    }));
  });
});

describe('base32', () => {
  it.each([['f', 'MY======'], ['fo', 'MZXQ===='], ['foo', 'MZXW6==='], ['foob', 'MZXW6YQ='], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI======']])(
    'encodes the RFC 4648 vector %s as %s', (input, out) => {
      expect(base32(new TextEncoder().encode(input))).toBe(out);
    },
  );
});

describe('kube-proxy chain names', () => {
  const kind = readFileSync(path.join(corpus, 'iptables-save/kind-v1.23-kube-proxy-kindnet-ericpuwang.iptables-save'), 'utf8');
  const declared = new Set([...kind.matchAll(/^:(KUBE-(?:SVC|SEP)-\S+)/gm)].map((m) => m[1]));

  it.each([
    ['default', 'kubernetes', 'https', 'tcp', 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
    ['kube-system', 'kube-dns', 'dns', 'udp', 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
    ['kube-system', 'kube-dns', 'dns-tcp', 'tcp', 'KUBE-SVC-ERIFXISQEP7F7OF4'],
    ['kube-system', 'kube-dns', 'metrics', 'tcp', 'KUBE-SVC-JD5MR3NA4I4DYORP'],
  ])('names %s/%s:%s (%s) as the kind node does', (ns, name, port, proto, chain) => {
    expect(svcChain(servicePortName(ns, name, port), proto)).toBe(chain);
    expect(declared.has(chain)).toBe(true);
  });

  it.each([
    ['kube-system/kube-dns:dns', 'udp', '10.244.0.3:53', 'KUBE-SEP-6E7XQMQ4RAYOWTTM'],
    ['kube-system/kube-dns:dns', 'udp', '10.244.0.4:53', 'KUBE-SEP-WXWGHGKZOCNYRYI7'],
    ['default/kubernetes:https', 'tcp', '172.18.0.5:6443', 'KUBE-SEP-OJCTP5LCEHQJ3D72'],
  ])('names the endpoint chain of %s %s %s as the kind node does', (spn, proto, ep, chain) => {
    expect(sepChain(spn, proto, ep)).toBe(chain);
    expect(declared.has(chain)).toBe(true);
  });

  it('keeps the colon of an unnamed port (default/nginx-svc: -> KUBE-SVC-R2VK7O5AFVLRAXSH in the flannel listing)', () => {
    expect(svcChain(servicePortName('default', 'nginx-svc'), 'tcp')).toBe('KUBE-SVC-R2VK7O5AFVLRAXSH');
  });
});
