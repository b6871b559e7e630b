import { describe, expect, it } from 'vitest';
import { hop } from '../../src/trace/hop.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';

const packet = (src: string, dst: string): Packet => ({ src: parseIpv4(src), dst: parseIpv4(dst), proto: 'tcp', sport: 40000, dport: 80 });

describe('hop', () => {
  it('lays its keys out as kind, packetIn, packetOut, notes, then the fields in their order (the trace JSON order)', () => {
    const p = packet('10.0.0.1', '10.0.0.2');
    const h = hop('route-table', p, p, { at: 'rtb-1', table: 'rtb-1', decision: 'forward', notes: ['n'] });
    expect(Object.keys(h)).toEqual(['kind', 'packetIn', 'packetOut', 'notes', 'at', 'table', 'decision']);
    expect(h.notes).toEqual(['n']);
    const end = hop('target', p, undefined, { at: 'x', endpoint: '10.0.0.2', decision: 'deliver' });
    expect(JSON.stringify(end)).toBe('{"kind":"target","packetIn":{"src":"10.0.0.1","dst":"10.0.0.2","proto":"tcp","sport":40000,"dport":80},"notes":[],"at":"x","endpoint":"10.0.0.2","decision":"deliver"}');
  });

  it('shows each packet as it is, however the hops before showed others', () => {
    const a = packet('10.0.0.1', '10.0.0.2');
    const b = { ...a, dst: parseIpv4('10.9.9.9') };
    const hops = [hop('pod', a, a, { at: 'p', direction: 'send', decision: 'forward' }), hop('node-route', a, b, { at: 'n', decision: 'nat' }), hop('eni', b, a, { at: 'e', check: 'source-dest', direction: 'egress', decision: 'accept' })];
    expect(hops.map((h) => [h.packetIn.dst, h.packetOut?.dst])).toEqual([['10.0.0.2', '10.0.0.2'], ['10.0.0.2', '10.9.9.9'], ['10.9.9.9', '10.0.0.2']]);
  });
});
