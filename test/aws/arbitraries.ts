/** fast-check generators shared by the AWS property tests. */
import fc from 'fast-check';
import { formatIpv4 } from '../../src/net/ipv4.js';
import { maskOf } from '../../src/net/prefix.js';
import type { Packet, Proto } from '../../src/net/packet.js';

/** Addresses clustered around a few bases, so generated prefixes and addresses often overlap. */
const BASES = [0x0a000000, 0x0a000000 + 0x1234, 0xac140000, 0xc0a80100, 0x08080808];

export const arbAddress: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.tuple(fc.constantFrom(...BASES), fc.integer({ min: 0, max: 0xffff })).map(([b, x]) => (b + x) >>> 0),
);

/** An aligned CIDR block as text, any length 0..32. */
export const arbCidr: fc.Arbitrary<string> = fc
  .tuple(arbAddress, fc.integer({ min: 0, max: 32 }))
  .map(([a, len]) => `${formatIpv4((a & maskOf(len)) >>> 0)}/${len}`);

/** Rule protocols as the model allows them, including numbers that are and are not tcp/udp/icmp. */
export const arbRuleProto = fc.constantFrom<'tcp' | 'udp' | 'icmp' | 'all' | number>('tcp', 'udp', 'icmp', 'all', 6, 17, 1, 47);

/** Small port ranges (0..20) so that expanded port sets stay small and hits are frequent. */
export const arbPorts = fc.option(
  fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })).map(([a, b]) => ({ from: Math.min(a, b), to: Math.max(a, b) })),
  { nil: undefined },
);

export function arbPacket(addresses: fc.Arbitrary<number> = arbAddress): fc.Arbitrary<Packet> {
  return fc.record({
    src: addresses,
    dst: addresses,
    proto: fc.constantFrom<Proto>('tcp', 'udp', 'icmp'),
    sport: fc.integer({ min: 0, max: 65535 }),
    dport: fc.integer({ min: 0, max: 20 }),
  });
}
