import { describe, expect, it } from 'vitest';
import { Session } from '../../src/trace/state.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';
import type { EniRecord } from '../../src/trace/world.js';

const packet = (src: string, dst: string, sport = 40000, dport = 443): Packet => ({ src: parseIpv4(src), dst: parseIpv4(dst), proto: 'tcp', sport, dport });
const eni = (id: string) => ({ id }) as EniRecord;

describe('Session', () => {
  it('knows which interface last sent a header, by the header and not the packet object', () => {
    const s = new Session();
    const a = eni('eni-a');
    const b = eni('eni-b');
    s.sentBy(a, packet('10.0.0.1', '10.1.0.1'));
    s.sentBy(a, packet('10.0.0.1', '10.1.0.1', 40001));
    expect(s.senderOf(packet('10.0.0.1', '10.1.0.1'))).toBe(a);
    s.sentBy(b, packet('10.0.0.1', '10.1.0.1')); // forwarded on by another interface: the last wins
    expect(s.senderOf(packet('10.0.0.1', '10.1.0.1'))).toBe(b);
    expect(s.senderOf(packet('10.0.0.1', '10.1.0.1', 40001))).toBe(a);
    expect(s.senderOf(packet('10.0.0.1', '10.1.0.1', 40000, 80))).toBeUndefined();
    expect(s.senderOf({ ...packet('10.0.0.1', '10.1.0.1'), proto: 'udp' })).toBeUndefined();
  });

  it('takes a packet for the reply of an admitted flow only when it is the flow reversed exactly', () => {
    const s = new Session();
    s.admitted('eni-a', packet('10.0.0.1', '10.1.0.1'));
    expect(s.isTrackedReply('eni-a', packet('10.1.0.1', '10.0.0.1', 443, 40000))).toBe(true);
    expect(s.isTrackedReply('eni-a', packet('10.1.0.1', '10.0.0.1', 443, 40001))).toBe(false);
    expect(s.isTrackedReply('eni-a', packet('10.0.0.1', '10.1.0.1'))).toBe(false);
    expect(s.isTrackedReply('eni-b', packet('10.1.0.1', '10.0.0.1', 443, 40000))).toBe(false);
  });
});
