/**
 * The recorded AWS deployments of Batfish's end-to-end tests
 * (../shared/corpus/batfish-aws, see its SOURCES.md): every estate loads, and
 * every flow Batfish's tests state gives the outcome Batfish asserts, mapped
 * to podpath's verdicts by docs/verdicts.md (table in batfish-aws-flows.ts).
 */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { compileWorld, type World } from '../../src/trace/world.js';
import { corpus, traceOne } from '../helpers/estates.js';
import { BATFISH_FLOWS, type BatfishFlow } from './batfish-aws-flows.js';

const root = join(corpus, 'batfish-aws');
const estates = readdirSync(root).filter((d) => d.startsWith('AwsConfiguration')).sort();

describe('batfish-aws: every recorded estate loads', () => {
  it.each(estates)('%s loads with no error', (name) => {
    const { estate } = inspectSnapshot(join(root, name));
    expect(estate.vpcs.length).toBeGreaterThan(0);
  });

  it('reads a cross-account peering listed by both accounts as one connection', () => {
    const { estate, notes } = inspectSnapshot(join(root, 'AwsConfigurationVpcPeeringCrossAccountTest'));
    expect(estate.peerings.filter((p) => p.id === 'pcx-0040f7640e10191f4')).toEqual([
      expect.objectContaining({ requester: 'vpc-0f44fae3468d2b998', accepter: 'vpc-05951c91977125d2e', status: 'active' }),
    ]);
    expect(notes.derived.some((d) => d.what.startsWith('pcx-0040f7640e10191f4'))).toBe(true);
  });

  it('reads Batfish\'s accounts/<account>/<region>/ layout as well as the flat one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-accounts-'));
    try {
      const flat = join(root, 'AwsConfigurationVpcPeeringCrossAccountTest/aws');
      for (const f of readdirSync(flat)) {
        const [account, region, ...rest] = f.split('.');
        const to = join(dir, 'aws/accounts', account!, region!);
        mkdirSync(to, { recursive: true });
        copyFileSync(join(flat, f), join(to, rest.join('.')));
      }
      const nested = inspectSnapshot(dir).estate;
      const same = inspectSnapshot(join(root, 'AwsConfigurationVpcPeeringCrossAccountTest')).estate;
      expect(nested.vpcs.map((v) => v.id).sort()).toEqual(same.vpcs.map((v) => v.id).sort());
      expect(nested.peerings).toEqual(same.peerings);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const worlds = new Map<string, World>();
function world(estate: string): World {
  let w = worlds.get(estate);
  if (!w) worlds.set(estate, (w = compileWorld(inspectSnapshot(join(root, estate)).estate)));
  return w;
}

const label = (f: BatfishFlow) => `${f.estate.replace('AwsConfiguration', '')}.${f.from}: ${f.src} -> ${f.dst} is ${f.disposition} (podpath ${f.podpath})`;
const expressible = BATFISH_FLOWS.filter((f) => !f.inexpressible);

function check(f: BatfishFlow) {
  const t = traceOne(world(f.estate), { src: f.src, dst: f.any ? `${f.dst}:9` : f.dst, ...(f.entry ? { entry: f.entry } : {}) });
  expect(t.verdict, t.reason).toBe(f.podpath);
}

describe('batfish-aws: flows stated by Batfish\'s tests', () => {
  it.each(expressible.map((f) => [label(f), f] as const))('%s', (_, f) => check(f));
});

describe('batfish-aws: transit gateway recordings', () => {
  it('reads per-table static routes and propagations (TransitGatewayStaticRoutes / TransitGatewayPropagations)', () => {
    const { estate, notes } = inspectSnapshot(join(root, 'AwsConfigurationTransitGatewayPeeringTest'));
    const bat = estate.transitGateways.find((g) => g.id === 'tgw-0e20010ebf43d07a2')!;
    expect(bat.routeTables.find((t) => t.id === 'tgw-rtb-018a5e572ec3088d1')).toMatchObject({
      routes: [{ destination: '192.168.0.0/16', attachment: 'tgw-attach-012e5d602f859dd80' }],
    });
    expect(bat.routeTables.every((t) => t.incomplete === undefined)).toBe(true);
    expect(notes.warnings.filter((w) => /routes are (unknown|not all known)/.test(w.message))).toEqual([]);
  });

  it('keeps each gateway\'s side of a peering attachment (both list the same id)', () => {
    const { estate } = inspectSnapshot(join(root, 'AwsConfigurationTransitGatewayPeeringTest'));
    const sides = estate.transitGateways.flatMap((g) => g.attachments.filter((a) => a.id === 'tgw-attach-012e5d602f859dd80').map((a) => [g.id, a.peerTgw, a.routeTable]));
    expect(sides).toEqual(expect.arrayContaining([
      ['tgw-0e20010ebf43d07a2', 'tgw-03201f1960ddb0c25', 'tgw-rtb-05d2952671d1f460a'],
      ['tgw-03201f1960ddb0c25', 'tgw-0e20010ebf43d07a2', 'tgw-rtb-00be87593fb2cd0ae'],
    ]));
  });

  it('crosses the peering attachment and is routed again by the peer gateway\'s table', () => {
    const t = traceOne(world('AwsConfigurationTransitGatewayPeeringTest'), { src: 'instance:i-05e25e43074216229', dst: '192.168.1.100:9' });
    expect(t.forward.filter((h) => h.kind === 'tgw').map((h) => [h.at, h.rule?.ref])).toEqual([
      ['tgw-0e20010ebf43d07a2', 'tgw-rtb-018a5e572ec3088d1#192.168.0.0/16'],
      ['tgw-03201f1960ddb0c25', 'tgw-rtb-00be87593fb2cd0ae#192.168.0.0/16'],
    ]);
  });

  it('drops traffic from an instance whose zone has no subnet of the VPC attachment (AZ rule)', () => {
    const t = traceOne(world('AwsConfigurationTransitGatewayTest'), { src: 'instance:i-075e846ed41670385', dst: '192.168.1.106:9' });
    expect(t.verdict).toBe('dropped');
    expect(t.decidingRule?.ref).toBe('tgw-attach-07f5ec59e9f540021#subnets');
  });

  it('says unknown instead of no-route when the propagations were not recorded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-tgw-'));
    try {
      const from = join(root, 'AwsConfigurationTransitGatewayPeeringTest/aws');
      mkdirSync(join(dir, 'aws'));
      for (const f of readdirSync(from)) if (!f.endsWith('TransitGatewayPropagations.json')) copyFileSync(join(from, f), join(dir, 'aws', f));
      const { estate, notes } = inspectSnapshot(dir);
      expect(notes.warnings.some((w) => w.message.includes('propagations (get-transit-gateway-route-table-propagations) are not in the snapshot'))).toBe(true);
      // Batfish: NO_ROUTE at tgw bat (testBatToFish); without the propagations podpath cannot know that.
      const t = traceOne(compileWorld(estate), { src: 'instance:i-08f3abb6471637c66', dst: '192.168.1.100:9' });
      expect(t.verdict).toBe('unknown');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('batfish-aws: sources outside the estate', () => {
  const w = () => world('AwsConfigurationPublicPrivateSubnetTest');

  it('delivers an internet client to a public instance through the IGW, and the reply back to the client', () => {
    const t = traceOne(w(), { src: '8.8.8.8', dst: '13.58.55.60:22', entry: 'internet' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward[0]).toMatchObject({ kind: 'igw', at: 'igw-0eac198308206c358', packetOut: { dst: '10.0.0.47' } });
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'target', at: 'internet', packetIn: { src: '13.58.55.60', dst: '8.8.8.8', sport: 22 } });
  });

  it('delivers a VPN source entering by the VGW, and its reply back out through the same VGW', () => {
    const t = traceOne(w(), { src: '19.168.0.1', dst: '10.0.1.204:22', entry: 'vgw-070087240d6fa2989' });
    expect(t.verdict).toBe('delivered');
    expect(t.forward[0]).toMatchObject({ kind: 'vgw', decision: 'forward' });
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'vgw', at: 'vgw-070087240d6fa2989', decision: 'deliver' });
  });

  it('loses the reply of a VPN source whose answer the VPC sends elsewhere (the public subnet routes it to the IGW)', () => {
    const t = traceOne(w(), { src: '19.168.0.1', dst: '10.0.0.47:22', entry: 'vgw-070087240d6fa2989' });
    expect(t.verdict).toBe('reply-lost');
    expect(t.reply!.find((h) => h.kind === 'route-table')?.rule?.ref).toMatch(/#0\.0\.0\.0\/0$/);
    expect(t.reply!.at(-1)).toMatchObject({ kind: 'target', at: 'internet' });
  });
});

describe('multi-account snapshots: one object listed by several accounts', () => {
  const from = join(root, 'AwsConfigurationVpcPeeringCrossAccountTest/aws');
  const withExtra = (extra: (vpcs: { Vpcs: Record<string, unknown>[] }) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-shared-'));
    mkdirSync(join(dir, 'aws'));
    for (const f of readdirSync(from)) copyFileSync(join(from, f), join(dir, 'aws', f));
    // A participant account sees the owner's shared VPC and subnets (AWS RAM VPC sharing).
    for (const kind of ['Vpcs', 'Subnets']) {
      const doc = JSON.parse(readFileSync(join(from, `123456789012.us-east-1.${kind}.json`), 'utf8'));
      if (kind === 'Vpcs') extra(doc);
      writeFileSync(join(dir, 'aws', `123456789013.us-east-1.shared-${kind}.json`), JSON.stringify(doc));
    }
    return dir;
  };

  it('reads a VPC and subnets listed by the owner and a participant once', () => {
    const dir = withExtra((doc) => { for (const v of doc.Vpcs) v.Tags = [{ Key: 'Name', Value: 'participant view' }]; });
    try {
      const { estate, notes } = inspectSnapshot(dir);
      expect(estate.vpcs.filter((v) => v.id === 'vpc-0f44fae3468d2b998')).toHaveLength(1);
      expect(notes.derived.some((d) => d.what === 'vpc-0f44fae3468d2b998 (one object)')).toBe(true);
      expect(traceOne(compileWorld(estate), { src: 'instance:i-07ae69cc808e8804e', dst: '10.2.1.252:22' }).verdict).toBe('delivered');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns when a second view differs, and uses the first one read', () => {
    const dir = withExtra((doc) => { for (const v of doc.Vpcs) v.CidrBlock = '172.16.0.0/16'; });
    try {
      const { estate, notes } = inspectSnapshot(dir);
      expect(notes.warnings.some((w) => w.message.startsWith('vpc-0f44fae3468d2b998 is listed again with different content'))).toBe(true);
      expect(estate.vpcs.find((v) => v.id === 'vpc-0f44fae3468d2b998')?.cidrBlocks).toEqual(['10.1.0.0/16']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
