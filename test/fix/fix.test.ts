import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import { doctor } from '../../src/doctor/doctor.js';
import { fixAll } from '../../src/fix/prove.js';
import { agentConfig, agentRules, configMapYaml } from '../../src/fix/ip-masq-agent.js';
import { renumberer, withRenumberedCluster } from '../../src/fix/renumber.js';
import { withRoute, withoutRoute } from '../../src/fix/what-if.js';
import { replanOf } from '../../src/cli/commands/doctor.js';
import { parse } from 'yaml';
import { PodpathError } from '../../src/model/errors.js';
import { parseAgentConfig } from '../../src/k8s/masq-agent/index.js';
import { fixture, seedFile } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);
const fixes = fixAll(seed, doctor(seed), doctor, { replan: replanOf(seed) });
const proofsOf = (key: string) => fixes.find((f) => f.finding.key === key)!.proofs;

describe('fix on the seed scenario', () => {
  it('checks a change offered for several findings once, and proves it for each as if alone', () => {
    const before = doctor(seed);
    const copies: unknown[] = [];
    const counting = (e: Parameters<typeof doctor>[0]) => {
      copies.push(e);
      return doctor(e);
    };
    const once = fixAll(seed, before, counting, { replan: replanOf(seed) });
    const all = fixes.flatMap((f) => f.proofs.map((p) => JSON.stringify([p.candidate.kind, p.candidate.title, p.candidate.blastRadius, p.candidate.artifacts])));
    const distinct = new Set(all).size;
    // The seed offers the Service CIDR re-plan for PP102 and PP104, and the /32 MASQUERADE for PP101 and PP105.
    expect(distinct).toBeLessThan(all.length);
    const combinations = fixes.filter((f) => f.proofs.length > 0 && !f.proofs.some((p) => p.proven)).length;
    expect(copies.length).toBeGreaterThanOrEqual(distinct);
    expect(copies.length).toBeLessThanOrEqual(distinct + 12 * combinations);
    expect(JSON.stringify(once)).toBe(JSON.stringify(fixes));
    // Each proof is the one proven for that finding alone.
    for (const f of once) {
      const alone = fixAll(seed, before, doctor, { replan: replanOf(seed), only: f.finding.key });
      expect(JSON.stringify(alone[0]!.proofs), f.finding.key).toBe(JSON.stringify(f.proofs));
    }
  }, 60_000);

  it('answers a change the model cannot make alike, whether the pre-check of a pair of candidates or the check finds it out', () => {
    const before = doctor(seed);
    const cannot = () => {
      throw new PodpathError('PP_SCHEMA', 'address 172.20.0.23 of eni-x is already used by eni-y');
    };
    const checked = fixAll(seed, before, cannot, { replan: replanOf(seed) });
    const preChecked = fixAll(seed, before, cannot, { replan: replanOf(seed), delivers: cannot });
    // No candidate can be proven, so every finding tried its pairs of candidates.
    expect(checked.every((f) => f.proofs.every((p) => !p.proven && p.why.includes('cannot be applied')))).toBe(true);
    expect(JSON.stringify(preChecked)).toBe(JSON.stringify(checked));
  });

  it('proves the /32 MASQUERADE band-aid for the RDS finding, smallest blast radius first', () => {
    const [first] = proofsOf('PP101|rds:prod-db');
    expect(first!.candidate.kind).toBe('masquerade-host');
    expect(first!.proven).toBe(true);
    expect(first!.rows).toEqual([
      { pair: 'pods:node-1 -> rds:prod-db', before: 'dropped', after: 'delivered' },
      { pair: 'pods:node-2 -> rds:prod-db', before: 'dropped', after: 'delivered' },
    ]);
    // Guarded: never pod-to-pod, whatever the target covers.
    expect(first!.candidate.artifacts[0]!.text).toMatch(/-I POSTROUTING 1 ! -d 10\.244\.0\.0\/16 -m iprange --dst-range 10\.0\.18\.52-10\.0\.18\.52 -o eth0 .*-j MASQUERADE/);
    expect(first!.after[0]!.decidingRule?.ref).toMatch(/^fix: masquerade to 10\.0\.18\.52/);
  });

  it('proves the ip-masq-agent config that keeps the pod CIDR and the VPC CIDR but not the peer', () => {
    const p = proofsOf('PP101|rds:prod-db').find((x) => x.candidate.kind === 'ip-masq-agent')!;
    expect(p.proven).toBe(true);
    expect(p.broken).toEqual([]);
    const cm = parse(p.candidate.artifacts[0]!.text);
    const config = parse(cm.data.config);
    expect(config.nonMasqueradeCIDRs).toEqual(['10.244.0.0/16', '172.20.0.0/16']);
    expect(config.nonMasqueradeCIDRs).not.toContain('10.0.0.0/16');
    // The same policy for the podpath agent (docs/agent.md), which the agent's own parser accepts.
    const agent = parse(p.candidate.artifacts.find((a) => a.text.includes('name: podpath-agent'))!.text);
    const parsed = parseAgentConfig(agent.data.config, 'podpath-agent');
    expect('value' in parsed && parsed.value.nonMasqueradeCIDRs).toEqual(['10.244.0.0/16', '172.20.0.0/16']);
    expect('value' in parsed && parsed.value.podCIDRs).toEqual(['10.244.0.0/16']);
  });

  it('shows why routing the pod CIDR back over the peering is not enough', () => {
    const p = proofsOf('PP101|rds:prod-db').find((x) => x.candidate.kind === 'route-pods-back')!;
    expect(p.proven).toBe(false);
    expect(p.why).toMatch(/the finding remains/);
    expect(p.newFindings.some((k) => k.startsWith('PP109|'))).toBe(true);
  });

  it('proves the Service CIDR re-plan from plan against the service/peer overlap and the DNS leak', () => {
    for (const key of ['PP102|10.0.0.0/16', 'PP104|10.0.0.10']) {
      const p = proofsOf(key).find((x) => x.candidate.kind === 'replan-service-cidr')!;
      expect(p.proven, p.why).toBe(true);
      expect(p.candidate.title).toMatch(/10\.0\.0\.0\/16 -> 100\.64\.0\.0\/16/);
    }
  });

  it('does not call the pod-CIDR security group rule proven against PP105: the peering still drops pod sources', () => {
    const p = proofsOf('PP105|sg-rds').find((x) => x.candidate.kind === 'sg-admit-pods')!;
    expect(p.proven).toBe(false);
    expect(p.fixed).toEqual([]);
    expect(p.stillBlocked).toEqual(['pods:node-1 -> rds:prod-db (dropped at pcx-seed)', 'pods:node-2 -> rds:prod-db (dropped at pcx-seed)']);
    expect(p.candidate.artifacts.find((a) => a.kind === 'aws-cli')!.text).toMatch(/authorize-security-group-ingress --group-id sg-rds .*FromPort=5432,ToPort=5432.*10\.244\.0\.0\/16/);
    expect(proofsOf('PP105|sg-rds').find((x) => x.proven)?.candidate.kind).toBe('masquerade-host');
  });
});

describe('fix on single faults', () => {
  it('proves a NACL entry for the whole ephemeral range', () => {
    const e = loadEstateFile(fixture('nacl-ephemeral'));
    const [f] = fixAll(e, doctor(e), doctor);
    expect(f!.proofs[0]).toMatchObject({ proven: true, candidate: { kind: 'nacl-ephemeral' } });
    expect(f!.proofs[0]!.candidate.artifacts[0]!.text).toMatch(/create-network-acl-entry --network-acl-id acl-db --egress --rule-number 99 --protocol tcp --port-range From=1024,To=65535/);
  });

  it('proves pointing a blackhole at the peering, not deleting it (no route is no delivery)', () => {
    const e = withRoute(loadEstateFile(fixture('peering-clean')), 'rtb-k8s', '192.168.0.0/16', 'blackhole');
    const [f] = fixAll(e, doctor(e), doctor, { only: 'PP108' });
    expect(f!.proofs.map((p) => [p.candidate.kind, p.proven])).toEqual([['replace-blackhole', true], ['delete-blackhole', false]]);
    expect(f!.proofs[1]!.stillBlocked).toContain('pods:n1 -> rds:orders-db (not traced)');
  });

  it('proves adding a missing route back', () => {
    const e = withoutRoute(loadEstateFile(fixture('peering-clean')), 'rtb-db', '172.31.0.0/16');
    const [f] = fixAll(e, doctor(e), doctor, { only: 'PP108' });
    expect(f!.proofs.map((p) => p.proven)).toEqual([true]);
  });

  it('rejects --finding for an id the estate does not have', () => {
    expect(() => fixAll(seed, doctor(seed), doctor, { only: 'PP107' })).toThrow(/no finding 'PP107'/);
  });
});

describe('ip-masq-agent rules', () => {
  it('exempt link-local and each non-masquerade CIDR, then masquerade the rest', () => {
    expect(agentRules(agentConfig(['10.244.0.0/16']))).toEqual([
      '-m addrtype ! --dst-type LOCAL -d 169.254.0.0/16 -j RETURN',
      '-m addrtype ! --dst-type LOCAL -d 10.244.0.0/16 -j RETURN',
      '-m addrtype ! --dst-type LOCAL -j MASQUERADE',
    ]);
    expect(configMapYaml(agentConfig(['10.244.0.0/16']))).toMatch(/name: ip-masq-agent\n {2}namespace: kube-system/);
    expect(() => agentConfig(['10.244.1.0/16'])).toThrow(/host bits/);
  });
});

describe('cluster renumbering', () => {
  it('moves only the listed ClusterIPs of a Service CIDR, never real hosts sharing the block', () => {
    const map = renumberer([{ from: '10.0.0.0/16', to: '100.64.0.0/16', only: ['10.0.0.10'] }]);
    expect(map('-d 10.0.0.10/32 -j X --to 10.0.18.52')).toBe('-d 100.64.0.10/32 -j X --to 10.0.18.52');
    const moved = withRenumberedCluster(seed, [{ from: '10.0.0.0/16', to: '100.64.0.0/16', only: ['10.0.0.10'] }]);
    expect(moved.cluster).toMatchObject({ serviceCidr: '100.64.0.0/16', dnsServiceIp: '100.64.0.10' });
    expect(moved.routeTables.flatMap((t) => t.routes.map((r) => r.destination))).toContain('10.0.0.0/16');
    expect(moved.nodes[0]!.resolvConf!.text).toMatch(/^nameserver 100\.64\.0\.10$/m);
    expect(seed.cluster!.serviceCidr).toBe('10.0.0.0/16');
  });

  it('a renumbered text does not keep the digest of the text before the move (equal digests mean equal texts)', () => {
    const dump = seed.nodes[0]!.iptables!;
    const digested = { ...seed, nodes: seed.nodes.map((n) => ({ ...n, iptables: { ...dump, digest: 'before' } })) };
    const moved = withRenumberedCluster(digested, [{ from: '10.0.0.0/16', to: '100.64.0.0/16' }]);
    const [a, b] = [moved.nodes[0]!.iptables!, moved.nodes.at(-1)!.iptables!];
    expect(a.text).not.toBe(dump.text);
    expect(a.digest).toBeDefined();
    expect(a.digest).not.toBe('before');
    // Nodes that shared a dump share the renumbered one, under one digest.
    expect([b.text, b.digest]).toEqual([a.text, a.digest]);
  });
});
