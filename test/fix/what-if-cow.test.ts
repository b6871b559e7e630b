// What-ifs are copy on write: the input estate stays as it was, and everything the change does not reach is
// the input's own object (a world compiled on the input's world then takes those records as they are).
import { describe, expect, it } from 'vitest';
import { loadEstateFile } from '../../src/ingest/estate-yaml.js';
import type { Estate } from '../../src/model/estate.js';
import {
  withAttachmentSubnet, withIptablesAppend, withIptablesInsert, withNaclEntry, withoutIptablesLines, withoutRoute, withRoute,
  withSgIngressCidr, withSgIngressRule, withSourceDestCheck,
} from '../../src/fix/what-if.js';
import { candidatesFor } from '../../src/fix/candidates.js';
import { doctor } from '../../src/doctor/doctor.js';
import { replanOf } from '../../src/cli/commands/doctor.js';
import { fixture, seedFile } from '../helpers/estates.js';

const seed = loadEstateFile(seedFile);
const table = seed.routeTables[0]!;
const sg = seed.securityGroups.find((g) => g.ingress.some((r) => r.cidr))!;
const withAcl = loadEstateFile(fixture('nacl-ephemeral'));
const acl = withAcl.networkAcls[0]!;
const node = seed.nodes.find((n) => n.iptables)!;
const instance = seed.instances[0]!;

/** Each what-if, with the estate list it edits and the id of the element it changes there (and the estate, the seed by default). */
const cases: [string, (e: Estate) => Estate, keyof Estate, string | undefined, Estate?][] = [
  ['withRoute', (e) => withRoute(e, table.id, '198.51.100.0/24', 'local'), 'routeTables', table.id],
  ['withoutRoute', (e) => withoutRoute(e, table.id, table.routes[0]!.destination), 'routeTables', table.id],
  ['withSgIngressRule', (e) => withSgIngressRule(e, sg.id, { proto: 'tcp', ports: '80-81', cidr: '10.9.0.0/16' }), 'securityGroups', sg.id],
  ['withSgIngressCidr', (e) => withSgIngressCidr(e, sg.id, '0.0.0.0/0'), 'securityGroups', sg.id],
  ['withNaclEntry', (e) => withNaclEntry(e, acl.id, 'egress', { rule: 5, proto: 'tcp', from: 1024, to: 65535, cidr: '10.9.0.0/16', action: 'allow' }), 'networkAcls', acl.id, withAcl],
  ['withSourceDestCheck', (e) => withSourceDestCheck(e, instance.id, !instance.sourceDestCheck), 'instances', instance.id],
  ['withoutIptablesLines', (e) => withoutIptablesLines(e, node.name, /MASQUERADE/, 'test'), 'nodes', node.name],
  ['withIptablesInsert', (e) => withIptablesInsert(e, [node.name], { table: 'filter', chain: 'FORWARD', rule: '-j ACCEPT', label: 'test' }), 'nodes', node.name],
  ['withIptablesAppend', (e) => withIptablesAppend(e, 'nat', 'POSTROUTING', ['-j RETURN'], 'test'), 'nodes', undefined],
];

const idOf = (x: unknown) => (x as { id?: string; name?: string }).id ?? (x as { name: string }).name;

describe('copy-on-write what-ifs', () => {
  it.each(cases)('%s leaves its input as it was and shares what it does not change', (_name, whatIf, list, id, input = seed) => {
    const before = structuredClone(input);
    const changed = whatIf(input);
    expect(input).toEqual(before);
    expect(changed).not.toBe(seed);
    for (const k of Object.keys(input) as (keyof Estate)[]) {
      if (k === list) continue;
      expect(changed[k], k).toBe(input[k]);
    }
    const was = input[list] as unknown[];
    const now = changed[list] as unknown[];
    expect(now).not.toBe(was);
    expect(now).toHaveLength(was.length);
    now.forEach((x, i) => {
      if (id === undefined || idOf(x) === id) {
        expect(x).not.toBe(was[i]);
        expect(x).not.toEqual(was[i]);
      } else {
        expect(x, idOf(x)).toBe(was[i]);
      }
    });
  });

  it('withAttachmentSubnet shares every gateway but the one it changes', () => {
    const tgw = { id: 'tgw-1', attachments: [{ id: 'tgw-attach-1', vpc: seed.vpcs[0]!.id, subnets: [] as string[] }] };
    const other = { id: 'tgw-2', attachments: [{ id: 'tgw-attach-2', vpc: seed.vpcs[0]!.id, subnets: [] as string[] }] };
    const e = { ...seed, transitGateways: [tgw, other] } as unknown as Estate;
    const before = structuredClone(e);
    const changed = withAttachmentSubnet(e, 'tgw-attach-1', 'subnet-x');
    expect(e).toEqual(before);
    expect(changed.transitGateways[1]).toBe(e.transitGateways[1]);
    expect(changed.transitGateways[0]!.attachments[0]!.subnets).toEqual(['subnet-x']);
  });

  it('no fix candidate of the seed scenario changes the estate it is applied to', () => {
    const before = structuredClone(seed);
    const r = doctor(seed);
    const candidates = r.findings.flatMap((f) => candidatesFor(seed, f, replanOf(seed)));
    expect(candidates.length).toBeGreaterThan(3);
    for (const c of candidates) {
      c.apply(seed);
      expect(seed, c.title).toEqual(before);
    }
  });
});
