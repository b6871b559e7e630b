/** Transit gateway security group referencing read from the snapshot's Options. */
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectSnapshot } from '../../src/ingest/snapshot/load.js';
import { repoRoot } from '../helpers/estates.js';

type Json = Record<string, unknown>;
const fixtureDir = join(repoRoot, 'test/fixtures/snapshots/transit-gateway');

/** The transit-gateway snapshot with the gateway's and each VPC attachment's SecurityGroupReferencingSupport set (undefined: left out). */
function withOptions(gateway: string | undefined, attachments: (string | undefined)[]) {
  const copy = mkdtempSync(join(tmpdir(), 'podpath-tgw-'));
  cpSync(fixtureDir, copy, { recursive: true });
  const edit = (file: string, change: (d: Json) => void) => {
    const path = join(copy, 'aws', file);
    const doc = JSON.parse(readFileSync(path, 'utf8')) as Json;
    change(doc);
    writeFileSync(path, JSON.stringify(doc, null, 2));
  };
  edit('describe-transit-gateways.json', (d) => {
    const g = (d.TransitGateways as { Options: Json }[])[0]!;
    if (gateway) g.Options.SecurityGroupReferencingSupport = gateway;
  });
  edit('describe-transit-gateway-vpc-attachments.json', (d) => {
    (d.TransitGatewayVpcAttachments as { Options: Json }[]).forEach((a, i) => { if (attachments[i]) a.Options.SecurityGroupReferencingSupport = attachments[i]; });
  });
  try {
    const tgw = inspectSnapshot(copy).estate.transitGateways[0]!;
    return { gateway: tgw.securityGroupReferencing, attachments: tgw.attachments.filter((a) => a.vpc).map((a) => [a.id, a.securityGroupReferencing]) };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

describe('SecurityGroupReferencingSupport from describe-transit-gateways and describe-transit-gateway-vpc-attachments', () => {
  it('reads enable on the gateway and enable/disable per VPC attachment', () => {
    expect(withOptions('enable', ['enable', 'disable'])).toEqual({
      gateway: true,
      attachments: [['tgw-attach-0a0a1a2a3a4a5a6a7', true], ['tgw-attach-0b0b1b2b3b4b5b6b7', false]],
    });
  });

  it('without the option: AWS\'s defaults, disabled on the gateway, enabled on a VPC attachment', () => {
    expect(withOptions(undefined, [undefined, undefined])).toEqual({
      gateway: false,
      attachments: [['tgw-attach-0a0a1a2a3a4a5a6a7', true], ['tgw-attach-0b0b1b2b3b4b5b6b7', true]],
    });
  });

  it('reads disable on the gateway', () => {
    expect(withOptions('disable', ['enable', 'enable']).gateway).toBe(false);
  });
});
