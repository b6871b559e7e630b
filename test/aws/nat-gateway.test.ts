import { describe, expect, it } from 'vitest';
import { NAT_GATEWAY_PORT, natGatewayForward, natGatewayReply } from '../../src/aws/nat-gateway.js';
import { NatGatewaySchema } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import { reversed, type Packet } from '../../src/net/packet.js';

const gw = NatGatewaySchema.parse({ id: 'nat-1', subnet: 'subnet-pub', privateIp: '10.1.0.9', publicIp: '198.51.100.9' });
const p: Packet = { src: parseIpv4('10.244.1.5'), dst: parseIpv4('93.184.216.34'), proto: 'tcp', sport: 40000, dport: 443 };

describe('NAT gateway', () => {
  it('rewrites the source to its private address and the source port to a port of 1024-65535, keeping the rest', () => {
    const r = natGatewayForward(gw, p);
    expect(r.ok && r.packet).toEqual({ ...p, src: parseIpv4('10.1.0.9'), sport: NAT_GATEWAY_PORT });
    expect(NAT_GATEWAY_PORT).toBeGreaterThanOrEqual(1024);
    expect(r.ok && r.note).toMatch(/source port 40000 -> 1024 \(assumed: the gateway picks any port of 1024-65535/);
  });

  it('leaves ICMP without ports', () => {
    const icmp: Packet = { ...p, proto: 'icmp', sport: 0, dport: 0 };
    const r = natGatewayForward(gw, icmp);
    expect(r.ok && r.packet).toEqual({ ...icmp, src: parseIpv4('10.1.0.9') });
  });

  it('translates the reply of a translated connection back to the original client', () => {
    const r = natGatewayForward(gw, p);
    if (!r.ok) throw new Error('expected a translation');
    const back = natGatewayReply(gw, [{ original: p, translated: r.packet }], reversed(r.packet));
    expect(back.ok && back.packet).toEqual(reversed(p));
  });

  it('drops an unsolicited inbound packet', () => {
    const inbound = { ...reversed(p), dst: parseIpv4('10.1.0.9') };
    expect(natGatewayReply(gw, [], inbound)).toMatchObject({ ok: false, rule: { ref: 'nat-1' } });
  });

  it('forwards nothing unless available', () => {
    expect(natGatewayForward({ ...gw, state: 'deleted' }, p)).toMatchObject({ ok: false });
  });
});
