/**
 * Issue 11: doctor and fix answers that can be trusted on estates other than
 * the seed. No silent "clean", no finding built on an unknown, the right cause
 * named, AWS-only estates checked, and PROVEN meaning delivery.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEstateYaml } from '../../src/ingest/estate-yaml.js';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { doctor, doctorSession } from '../../src/doctor/doctor.js';
import { fixAll, prove } from '../../src/fix/prove.js';
import { withIptablesInsert } from '../../src/fix/what-if.js';
import type { Estate } from '../../src/model/estate.js';
import { withHostsAt } from '../../src/trace/synthetic-hosts.js';
import { compileWorld } from '../../src/trace/world.js';
import { traceFlow } from '../../src/trace/trace.js';
import { corpus, fixture, repoRoot, seedFile } from '../helpers/estates.js';
import { run } from '../helpers/run-cli.js';

const ids = (e: Estate) => doctor(e).findings.map((f) => f.id);
const seed = parseEstateYaml(readFileSync(seedFile, 'utf8'), 'examples/seed-2015.estate.yaml');

/** A fixture's text with edits, parsed as an estate (each edit must apply). */
function variant(name: string, edits: [string, string][], file = `${name}-variant.estate.yaml`): Estate {
  let text = readFileSync(name.includes('/') ? name : fixture(name), 'utf8');
  for (const [from, to] of edits) {
    expect(text, `edit '${from}' applies`).toContain(from);
    text = text.replace(from, to);
  }
  return parseEstateYaml(text, file);
}


describe('no silent failure: every undelivered pair is covered by a finding', () => {
  const denied = variant('peering-clean', [['- { rule: 100, proto: tcp, ports: 5432, cidr: 172.31.0.0/16, action: allow }',
    '- { rule: 90, proto: tcp, ports: 5432, cidr: 0.0.0.0/0, action: deny }\n      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }']]);

  it('names the NACL entry that drops tcp 5432 into the database subnet (PP110), with both pairs it blocks', () => {
    const r = doctor(denied);
    const f = r.findings.find((x) => x.id === 'PP110')!;
    expect(f.key).toBe('PP110|nacl:acl-db:ingress');
    expect(f.location).toEqual({ awsId: 'acl-db' });
    expect(f.pairs.map((p) => `${p.src} -> ${p.dst}`).sort()).toEqual(['hosts:n1 -> rds:orders-db', 'pods:n1 -> rds:orders-db']);
    for (const p of r.pairs.filter((x) => x.verdict !== 'delivered')) {
      expect(r.findings.some((x) => x.pairs.some((q) => q.src === p.src && q.dst === p.dst)), p.key).toBe(true);
    }
  });

  it('exits 1 from the CLI where it used to print "no findings" and exit 0; the clean estate still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-trust-'));
    const file = join(dir, 'denied.estate.yaml');
    writeFileSync(file, readFileSync(fixture('peering-clean'), 'utf8').replace('- { rule: 100, proto: tcp, ports: 5432, cidr: 172.31.0.0/16, action: allow }', '- { rule: 90, proto: tcp, ports: 5432, cidr: 0.0.0.0/0, action: deny }\n      - { rule: 100, proto: all, cidr: 0.0.0.0/0, action: allow }'));
    const denied = await run('doctor', '--estate', file);
    expect(denied.code).toBe(1);
    expect(denied.out).toMatch(/^warning +PP110 +network ACL acl-db \(ingress\): 90 deny tcp 5432 from 0\.0\.0\.0\/0/m);
    const clean = await run('doctor', '--estate', fixture('peering-clean'));
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('no findings');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports an input with nothing to send from as PP100, not as clean', () => {
    const e = parseEstateYaml('name: empty-vpc\nvpcs:\n  - { id: vpc-a, cidrBlocks: [10.9.0.0/16] }\nrouteTables:\n  - { id: rtb-a, vpc: vpc-a, main: true }\n', 'empty.estate.yaml');
    const r = doctor(e);
    expect(r.stats.tracedPairs).toBe(0);
    expect(r.findings.map((f) => [f.id, f.severity])).toEqual([['PP100', 'warning']]);
  });
});

describe('never a finding from an unknown', () => {
  it('turns a path through an unmodelled match into a PP199 note, not PP104 or PP110', () => {
    const e = variant(seedFile, [[':INPUT ACCEPT [0:0]\n      :FORWARD ACCEPT [0:0]\n      :OUTPUT ACCEPT [0:0]\n      COMMIT',
      ':INPUT ACCEPT [0:0]\n      :FORWARD ACCEPT [0:0]\n      :OUTPUT ACCEPT [0:0]\n      -A OUTPUT -m physdev --physdev-is-bridged -j DROP\n      COMMIT']], 'seed-physdev.estate.yaml');
    const r = doctor(e);
    const notes = r.findings.filter((f) => f.id === 'PP199');
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.every((f) => f.severity === 'note')).toBe(true);
    // node-1's own DNS queries go through the unknown OUTPUT rule: no PP104 is built on them.
    expect(r.findings.filter((f) => f.id === 'PP104').flatMap((f) => f.pairs.map((p) => p.src))).not.toContain('hosts:node-1');
    const unknownPairs = r.pairs.filter((p) => p.verdict === 'unknown');
    expect(unknownPairs.length).toBeGreaterThan(0);
    for (const p of unknownPairs) {
      const covering = r.findings.filter((f) => f.pairs.some((q) => q.src === p.src && q.dst === p.dst));
      expect(covering.map((f) => f.id), p.key).toEqual(['PP199']);
    }
  });
});

describe('right cause: pod-to-pod failures are not blamed on masquerade', () => {
  const vpcOnly = variant('same-vpc-pods', [['      - { proto: all, sg: sg-nodes }\n      - { proto: all, cidr: 100.96.0.0/16 }', '      - { proto: all, cidr: 10.10.0.0/16 }']]);

  it('names the node security group that does not admit the pod CIDR (PP112), never PP101', () => {
    const r = doctor(vpcOnly);
    expect(r.findings.map((f) => f.key)).toEqual(['PP112|sg-nodes']);
    expect(r.findings[0]!.pairs.map((p) => `${p.src} -> ${p.dst}`)).toContain('pods:n1 -> pods:n1');
    // The pair is traced across nodes: the class groups n1 and n2, and the destination pod is on n2.
    expect(r.findings[0]!.evidence[0]!.flow.dstIp).toBe('100.96.2.20');
  });

  it('proves admitting the pod CIDR in the node group; offers no MASQUERADE for pod traffic', () => {
    const [f] = fixAll(vpcOnly, doctor(vpcOnly), doctor);
    expect(f!.proofs.map((p) => [p.candidate.kind, p.proven])).toEqual([['sg-admit-pods', true]]);
    expect(f!.proofs[0]!.candidate.title).toBe('let sg-nodes admit the pod CIDR 100.96.0.0/16 (all)');
  });

  it('names the overlap, not the masquerade, when a peer block covers the pod CIDR', () => {
    const e = variant('peering-clean', [['- { id: vpc-db, cidrBlocks: [192.168.0.0/16] }', '- { id: vpc-db, cidrBlocks: [192.168.0.0/16, 100.96.0.0/16] }']]);
    expect(doctor(e).findings.map((f) => f.key)).toEqual(['PP103|100.96.0.0/16']);
  });
});

describe('use the evidence that is there', () => {
  it('reports a ClusterIP inside a peered block as PP102 when the Service CIDR is not known', () => {
    const e = variant('peering-clean', [['cluster: { podCidr: 100.96.0.0/16, serviceCidr: 100.64.0.0/16 }',
      'cluster: { podCidr: 100.96.0.0/16 }\nservices:\n  - { name: shop/cart, clusterIP: 192.168.77.7, ports: [{ port: 80, proto: tcp }], endpoints: [100.96.1.20] }']]);
    const f = doctor(e).findings.find((x) => x.id === 'PP102')!;
    expect(f.key).toBe('PP102|192.168.0.0/16');
    expect(f.title).toBe('ClusterIP 192.168.77.7 (shop/cart) lies inside vpc-db block 192.168.0.0/16');
    expect(f.message).toMatch(/inferred to overlap \(evidence: these ClusterIPs\)/);
  });
});

describe('a cluster spread over VPCs joined by a transit gateway', () => {
  it('does not call the routes of the nodes\' own pod CIDRs to the gateway a pod CIDR overlap (PP103)', () => {
    const e = variant('peering-clean', [
      ['      - { destination: 172.31.0.0/16, target: pcx-1 }', '      - { destination: 172.31.0.0/16, target: pcx-1 }\n      - { destination: 100.96.1.0/24, target: tgw-1 }'],
      ['peerings:', 'transitGateways:\n  - { id: tgw-1, attachments: [{ id: tgw-attach-db, vpc: vpc-db }] }\npeerings:'],
    ]);
    expect(doctor(e).findings.map((f) => f.id)).not.toContain('PP103');
    const other = variant('peering-clean', [
      ['      - { destination: 172.31.0.0/16, target: pcx-1 }', '      - { destination: 172.31.0.0/16, target: pcx-1 }\n      - { destination: 100.96.9.0/24, target: tgw-1 }'],
      ['peerings:', 'transitGateways:\n  - { id: tgw-1, attachments: [{ id: tgw-attach-db, vpc: vpc-db }] }\npeerings:'],
    ]);
    expect(doctor(other).findings.map((f) => f.key)).toContain('PP103|100.96.9.0/24');
  });
});

describe('AWS-only recordings (cloud-custodian placebo data: route tables and a peering, nothing else)', () => {
  const recorded = (name: string) => join(corpus, 'aws', `custodian-peer-${name}.placebo.json`);
  const empty = mkdtempSync(join(tmpdir(), 'podpath-aws-only-'));
  const load = (routes: string) => inspectSnapshot(empty, [recorded(`${routes}.describe-route-tables`), recorded('miss-route.describe-vpc-peering-connections')]).estate;

  it('reports the active peering no route uses (PP111) and checks the inferred subnets', () => {
    const r = doctor(load('miss-route'));
    expect(r.findings.find((f) => f.id === 'PP111')?.key).toBe('PP111|pcx-36096b5f');
    expect(r.stats.sourceClasses).toBeGreaterThan(0);
    expect(r.assumptions.some((a) => a.includes('inferred'))).toBe(true);
    // The kubenet pod routes whose ENIs are gone are blackholes.
    expect(r.findings.filter((f) => f.id === 'PP108').map((f) => f.key)).toContain('PP108|rtb-e888328d#10.244.1.0/24');
  });

  it('traces any address inside a described VPC as a synthetic host, never a reserved one', () => {
    const { estate, notes } = withHostsAt(load('one-route'), ['172.20.0.10', '10.0.1.50', '10.0.0.2']);
    expect(notes).toEqual(expect.arrayContaining([
      '172.20.0.10: no host is described there; traced as a synthetic host in subnet-podpath-cb3e8cae with an allow-all security group',
      '10.0.1.50: no host is described there; traced as a synthetic host in subnet-podpath-1cc8e779 with an allow-all security group',
    ]));
    expect(notes.some((n) => n.startsWith('10.0.0.2:'))).toBe(false);
    const [t] = traceFlow(compileWorld(estate), { src: '172.20.0.10', dst: '10.0.1.50:5432' });
    expect(t!.flow.src).toBe('host in subnet-podpath-cb3e8cae (synthetic)');
    expect(t!.verdict).toBe('reply-lost');
    expect(t!.forward.some((h) => h.kind === 'peering' && h.decision === 'forward')).toBe(true);
  });

  it('finds the missing route back once one side routes into the peering', () => {
    const r = doctor(load('one-route'));
    expect(r.findings.map((f) => f.key)).toEqual(expect.arrayContaining(['PP108|return:rtb-0d91a368', 'PP111|pcx-36096b5f']));
    expect(r.findings.find((f) => f.key === 'PP111|pcx-36096b5f')!.title).toMatch(/routed one way/);
  });
});

describe('masquerade agents on the nodes', () => {
  it('reports an older MASQUERADE that decides before the agent\'s chain (PP115), at its file:line', () => {
    let text = readFileSync(seedFile, 'utf8');
    text = text.replaceAll(':POSTROUTING ACCEPT [0:0]\n', ':POSTROUTING ACCEPT [0:0]\n      :PODPATH-MASQ-AGENT - [0:0]\n');
    text = text.replaceAll('-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE\n', '-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE\n      -A POSTROUTING -m addrtype ! --dst-type LOCAL -j PODPATH-MASQ-AGENT\n');
    const f = doctor(parseEstateYaml(text, 'examples/seed-2015.estate.yaml')).findings.find((x) => x.id === 'PP115')!;
    expect(f.title).toBe('`-A POSTROUTING ! -d 10.0.0.0/8 -o eth0 -j MASQUERADE` decides masquerade before PODPATH-MASQ-AGENT on node-1');
    expect(f.location).toEqual({ file: 'examples/seed-2015.estate.yaml', line: 114 });
    expect(ids(seed)).not.toContain('PP115');
  });
});

describe('transit gateway zones', () => {
  it('names the attachment without a subnet in the sender\'s zone (PP114) and proves adding one', () => {
    const e = parseEstateYaml(readFileSync(join(repoRoot, 'examples/tgw-egress.estate.yaml'), 'utf8'), 'examples/tgw-egress.estate.yaml');
    const r = doctor(e);
    expect(r.findings.map((f) => f.key)).toEqual(['PP114|tgw-attach-spoke-b|us-east-1b']);
    const [fx] = fixAll(e, r, doctor);
    expect(fx!.proofs.map((p) => [p.candidate.title, p.proven])).toEqual([['add subnet-b-app-1b to tgw-attach-spoke-b', true]]);
  });
});

describe('proofs mean delivery', () => {
  const seed = parseEstateYaml(readFileSync(seedFile, 'utf8'), 'examples/seed-2015.estate.yaml');
  const before = doctor(seed);

  it('refuses a MASQUERADE that translates pod-to-pod traffic, naming the broken network model', () => {
    const f = before.findings.find((x) => x.key === 'PP101|rds:prod-db')!;
    const bad = {
      kind: 'masquerade-everything', title: 'MASQUERADE everything', blastRadius: { rank: 4, text: 'all nodes' }, artifacts: [],
      apply: (e: Estate) => withIptablesInsert(e, 'all', { table: 'nat', chain: 'POSTROUTING', rule: '-o eth0 -j MASQUERADE', label: 'bad' }),
    };
    const p = prove(seed, before, f, bad, doctor);
    expect(p.findingGone).toBe(true);
    expect(p.proven).toBe(false);
    expect(p.invariantsBroken.some((x) => x.startsWith('pods:node-1 -> pods:node-2'))).toBe(true);
  });

  it('offers the smallest combination proven together when no single change is enough', () => {
    const e = variant('nacl-ephemeral', [['    routes:\n      - { destination: 172.31.0.0/16, target: pcx-1 }\npeerings', '    routes: []\npeerings']]);
    const fx = fixAll(e, doctor(e), doctor).find((x) => x.finding.id === 'PP106')!;
    expect(fx.proofs.every((p) => !p.proven)).toBe(true);
    expect(fx.proofs[0]!.stillBlocked.every((s) => s.endsWith('(reply-lost at rtb-db)'))).toBe(true);
    expect(fx.combination?.proven).toBe(true);
    expect(fx.combination?.candidate.title).toBe('let acl-db (egress) pass tcp 1024-65535 to 172.31.0.0/16 as rule 99 + route 172.31.0.0/16 back via pcx-1 in rtb-db');
    // Through a session, as the CLI proves: pairs whose finding's pairs stay undelivered are pre-checked away,
    // the proven pair is checked in full on the world its pre-check compiled, and the answer is the same.
    const session = doctorSession(e);
    const through = fixAll(e, session.result, session.check, { delivers: session.delivers }).find((x) => x.finding.id === 'PP106')!;
    expect(JSON.stringify(through)).toBe(JSON.stringify(fx));
  });
});
