import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { compileWorld } from '../../src/trace/world.js';
import { withIptablesInsert, withoutIptablesLines, withSgIngressCidr } from '../../src/fix/what-if.js';
import { citedLine, seedFile, traceOne, worldOf } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);
const world = worldOf(seedFile);
const podToDb = { src: 'pod:default/api-7f9', dst: 'rds:prod-db' };

describe('the seed scenario', () => {
  it('delivers node -> RDS and brings the reply back over the peering', () => {
    const t = traceOne(world, { src: 'node:node-1', dst: 'rds:prod-db' });
    expect(t.verdict).toBe('delivered');
    expect(t.flow).toMatchObject({ srcIp: '172.20.0.23', dstIp: '10.0.18.52', dport: 5432 });
    expect(t.forward.map((h) => h.kind)).toContain('peering');
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'host', at: 'node-1', decision: 'deliver' });
    expect(t.reply!.find((h) => h.kind === 'route-table')?.rule?.ref).toBe('rtb-main#172.20.0.0/16');
  });

  it('drops pod -> RDS at the peering because the pod source left the node untranslated', () => {
    const t = traceOne(world, podToDb);
    expect(t.verdict).toBe('dropped');
    expect(t.clientSees).toBe('timeout');
    expect(t.forward.at(-1)).toMatchObject({ kind: 'peering', at: 'pcx-seed', decision: 'drop' });
    expect(t.forward.at(-1)?.packetIn.src).toBe('10.244.1.5');
    const masq = t.contributing.find((c) => c.rule.text.includes('MASQUERADE'));
    expect(masq?.why).toMatch(/10\.0\.18\.52 is inside 10\.0\.0\.0\/8/);
    // The cited file line is the rule itself.
    expect(citedLine(masq!.rule).trim()).toBe('-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE');
  });

  it('finds the RDS security group stacked behind the peering drop', () => {
    const t = traceOne(world, podToDb);
    const sg = t.contributing.find((c) => c.rule.ref.startsWith('sg-rds'));
    expect(sg?.why).toMatch(/no rule of sg-rds allows tcp 5432 from 10\.244\.1\.5/);
  });

  it('with the RDS SG opened, names the main VPC route that would send the reply to the internet gateway', () => {
    const t = traceOne(compileWorld(withSgIngressCidr(seed, 'sg-rds', '0.0.0.0/0')), podToDb);
    expect(t.verdict).toBe('dropped');
    const away = t.contributing.find((c) => c.rule.ref === 'rtb-main#0.0.0.0/0');
    expect(away?.why).toMatch(/reply would be lost.*igw-main/);
  });

  it('delivers pod -> RDS once the band-aid /32 MASQUERADE is on the node, and names it', () => {
    const patched = withIptablesInsert(seed, 'all', { table: 'nat', chain: 'POSTROUTING', rule: '-d 10.0.18.52/32 -o eth0 -j MASQUERADE', label: 'band-aid' });
    const t = traceOne(compileWorld(patched), podToDb);
    expect(t.verdict).toBe('delivered');
    expect(t.decidingRule?.ref).toBe('band-aid:1');
    const post = t.forward.find((h) => h.kind === 'node-netfilter' && h.hook === 'POSTROUTING');
    expect(post?.packetOut?.src).toBe('172.20.0.23');
    // conntrack undoes the MASQUERADE on the way back: the pod gets its own address back.
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'pod', at: 'default/api-7f9' });
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ src: '10.0.18.52', dst: '10.244.1.5', dport: 40000 });
  });

  it('DNATs a pod DNS query to the cluster DNS pod and restores the VIP as the reply source', () => {
    const t = traceOne(world, { src: 'pod:default/api-7f9', dst: '10.0.0.10:53', proto: 'udp' });
    expect(t.verdict).toBe('delivered');
    expect(citedLine(t.decidingRule!)).toMatch(/-j DNAT --to-destination 10\.244\.1\.3:53/);
    expect(t.forward.at(-1)).toMatchObject({ kind: 'pod', at: 'kube-system/kube-dns-v9-x1' });
    expect(t.reply!.at(-1)?.packetIn).toMatchObject({ src: '10.0.0.10', sport: 53 });
  });

  it('sends a DNS query that misses the service DNAT into the peering, where nothing answers', () => {
    const missing = withoutIptablesLines(seed, 'node-1', /-d 10\.0\.0\.10\/32/, 'not programmed');
    const t = traceOne(compileWorld(missing), { src: 'node:node-1', dst: '10.0.0.10:53', proto: 'udp' });
    expect(t.verdict).toBe('dropped');
    expect(t.forward.map((h) => h.kind)).toEqual(expect.arrayContaining(['route-table', 'peering', 'target']));
    expect(t.reason).toMatch(/no network interface in vpc-main has 10\.0\.0\.10/);
  });

  it('lets the VPC resolver answer the node, but not a query from the peer VPC', () => {
    expect(traceOne(world, { src: 'node:node-1', dst: '172.20.0.2:53', proto: 'udp' }).verdict).toBe('delivered');
    const fromPeer = traceOne(world, { src: 'rds:prod-db', dst: '172.20.0.2:53', proto: 'udp' });
    expect(fromPeer.verdict).toBe('dropped');
    expect(fromPeer.reason).toMatch(/answers only queries from inside vpc-k8s/);
  });
});
