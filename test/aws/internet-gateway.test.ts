import { describe, expect, it } from 'vitest';
import { igwEgress } from '../../src/aws/internet-gateway.js';
import type { InternetGateway } from '../../src/model/aws.js';
import { parseIpv4 } from '../../src/net/ipv4.js';
import type { Packet } from '../../src/net/packet.js';

const ip = parseIpv4;
const igw: InternetGateway = { id: 'igw-main', vpc: 'vpc-main' };
const publicIps = new Map([[ip('10.0.1.10'), ip('54.1.2.3')]]);
const publicIpOf = (a: number) => publicIps.get(a);
const tcp = (src: string, dst: string): Packet => ({ src: ip(src), dst: ip(dst), proto: 'tcp', sport: 5432, dport: 40000 });

describe('igwEgress', () => {
  it.each([
    ['the seed reply to a pod IP', '10.0.18.52', '10.244.1.5', '10.244.1.5 is RFC 1918 private: not routable on the internet'],
    ['a 172.16/12 destination', '10.0.1.10', '172.20.0.23', '172.20.0.23 is RFC 1918 private: not routable on the internet'],
    ['a carrier-grade NAT destination', '10.0.1.10', '100.64.0.10', '100.64.0.10 is RFC 6598 shared (carrier-grade NAT): not routable on the internet'],
    ['a link-local destination', '10.0.1.10', '169.254.169.254', '169.254.169.254 is RFC 3927 link-local: not routable on the internet'],
    ['a source without a public IPv4', '10.0.18.52', '8.8.8.8',
      'source 10.0.18.52 has no public IPv4 address: igw-main translates only addresses of instances with a public IPv4 or Elastic IP'],
  ])('loses %s', (_name, src, dst, reason) => {
    expect(igwEgress(igw, tcp(src, dst), publicIpOf)).toMatchObject({ ok: false, reason, rule: { at: { awsId: 'igw-main' } } });
  });

  it('translates only the source of an instance with a public IPv4', () => {
    const p = tcp('10.0.1.10', '8.8.8.8');
    const d = igwEgress(igw, p, publicIpOf);
    expect(d).toMatchObject({ ok: true, packetOut: { ...p, src: ip('54.1.2.3') }, note: 'igw-main translates source 10.0.1.10 to public 54.1.2.3' });
  });

  it('checks the destination before the source mapping', () => {
    const d = igwEgress(igw, tcp('10.0.18.52', '10.244.1.5'), () => undefined);
    expect(d.ok === false && d.reason).toBe('10.244.1.5 is RFC 1918 private: not routable on the internet');
  });
});
