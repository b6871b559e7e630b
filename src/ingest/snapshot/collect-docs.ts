/**
 * Sorts the JSON documents of a snapshot by what they hold (detected by
 * content, never by file name) into typed vendor records. A file podpath does
 * not recognise is listed as ignored.
 */
import type { z } from 'zod';
import { PodpathError } from '../../model/errors.js';
import { parsePart, parseResponse } from '../aws/common.js';
import { DescribeVpcs, type AwsVpc } from '../aws/describe-vpcs.js';
import { DescribeSubnets, type AwsSubnet } from '../aws/describe-subnets.js';
import { DescribeRouteTables, type AwsRouteTable } from '../aws/describe-route-tables.js';
import { DescribeSecurityGroups, type AwsSecurityGroup } from '../aws/describe-security-groups.js';
import { DescribeNetworkAcls, type AwsNetworkAcl } from '../aws/describe-network-acls.js';
import { DescribeVpcPeeringConnections, type AwsPeering } from '../aws/describe-vpc-peering-connections.js';
import { DescribeInternetGateways, type AwsInternetGateway } from '../aws/describe-internet-gateways.js';
import { DescribeNatGateways, type AwsNatGateway } from '../aws/describe-nat-gateways.js';
import {
  DescribeTgwAttachments, DescribeTgwRouteTables, DescribeTgwVpcAttachments, DescribeTransitGateways, SearchTgwRoutes, TgwPropagations, TgwStaticRoutes,
  type AwsTgwAttachment, type AwsTgwPropagation, type AwsTgwRoute,
} from '../aws/describe-transit-gateways.js';
import { DescribeInstances, type AwsInstance } from '../aws/describe-instances.js';
import { DescribeNetworkInterfaces, type AwsNetworkInterface } from '../aws/describe-network-interfaces.js';
import { DescribeDbInstances, type AwsDbInstance } from '../aws/describe-db-instances.js';
import { DescribePrefixLists, PrefixListEntries } from '../aws/describe-managed-prefix-lists.js';
import { DescribeEksCluster, type EksCluster } from '../aws/describe-cluster.js';
import { ITEM_SCHEMAS, K8sList, type ItemKind, type K8sConfigMap, type K8sDaemonSet, type K8sEndpointSlice, type K8sNode, type K8sPod, type K8sService, type K8sServiceCidr } from '../k8s/objects.js';
import { isRecord, type JsonDoc } from './json-file.js';
import type { SnapshotNotes } from './notes.js';

/** A vendor record and the file it came from. */
export type From<T> = T & { file: string };

/** Everything the JSON files of a snapshot held, by kind. */
export interface VendorRecords {
  vpcs: From<AwsVpc>[];
  subnets: From<AwsSubnet>[];
  routeTables: From<AwsRouteTable>[];
  securityGroups: From<AwsSecurityGroup>[];
  networkAcls: From<AwsNetworkAcl>[];
  peerings: From<AwsPeering>[];
  internetGateways: From<AwsInternetGateway>[];
  natGateways: From<AwsNatGateway>[];
  /** `securityGroupReferencing`: the gateway's SecurityGroupReferencingSupport option, when the output states it. */
  transitGateways: { id: string; file: string; securityGroupReferencing?: boolean }[];
  tgwAttachments: From<AwsTgwAttachment>[];
  tgwRouteTables: { id: string; tgw: string; file: string }[];
  /** Routes of one TGW route table: all of them (search-transit-gateway-routes) or the static ones only. */
  tgwRoutes: { table: string; routes: AwsTgwRoute[]; file: string; only?: 'static'; more?: boolean }[];
  /** Propagations of one TGW route table (get-transit-gateway-route-table-propagations). */
  tgwPropagations: { table: string; propagations: AwsTgwPropagation[]; file: string }[];
  instances: From<AwsInstance>[];
  interfaces: From<AwsNetworkInterface>[];
  dbInstances: From<AwsDbInstance>[];
  /** `aws eks describe-cluster` outputs. */
  eksClusters: From<EksCluster>[];
  prefixLists: Map<string, string[]>;
  nodes: From<K8sNode>[];
  pods: From<K8sPod>[];
  services: From<K8sService>[];
  endpointSlices: From<K8sEndpointSlice>[];
  configMaps: From<K8sConfigMap>[];
  daemonSets: From<K8sDaemonSet>[];
  /** networking.k8s.io/v1 ServiceCIDR objects (Kubernetes 1.33+). */
  serviceCidrs: From<K8sServiceCidr>[];
  /** Custom resources read as plain objects (Calico IPPool). */
  custom: From<{ kind: string; value: Record<string, unknown> }>[];
}

export function emptyRecords(): VendorRecords {
  return {
    vpcs: [], subnets: [], routeTables: [], securityGroups: [], networkAcls: [], peerings: [], internetGateways: [], natGateways: [],
    transitGateways: [], tgwAttachments: [], tgwRouteTables: [], tgwRoutes: [], tgwPropagations: [], instances: [], interfaces: [], dbInstances: [], eksClusters: [],
    prefixLists: new Map(), nodes: [], pods: [], services: [], endpointSlices: [], configMaps: [], daemonSets: [], serviceCidrs: [], custom: [],
  };
}

/**
 * The records with their file, set in place: each item is a fresh object the schema parse made
 * (zod copies what it validates), so no copy is needed; a `file` key the item already had is
 * overwritten where it stands, as a spread would.
 */
function tag<T extends object>(items: T[], file: string): From<T>[] {
  for (const x of items) (x as From<T>).file = file;
  return items as From<T>[];
}

/** Reads one JSON document into `r`; returns what it was, or undefined when not recognised. */
export function sortDocument(doc: JsonDoc, r: VendorRecords, notes: SnapshotNotes): { kind: string; items: number } | undefined {
  const v = doc.value;
  if (!isRecord(v)) return undefined;
  const file = doc.file;
  const aws = <S extends z.ZodType>(schema: S) => parseResponse(schema, doc);
  if ('Vpcs' in v) return count('describe-vpcs', pushAll(r.vpcs, aws(DescribeVpcs).Vpcs, file));
  if ('Subnets' in v) return count('describe-subnets', pushAll(r.subnets, aws(DescribeSubnets).Subnets, file));
  if ('RouteTables' in v) return count('describe-route-tables', pushAll(r.routeTables, aws(DescribeRouteTables).RouteTables, file));
  if ('SecurityGroups' in v) return count('describe-security-groups', pushAll(r.securityGroups, aws(DescribeSecurityGroups).SecurityGroups, file));
  if ('NetworkAcls' in v) return count('describe-network-acls', pushAll(r.networkAcls, aws(DescribeNetworkAcls).NetworkAcls, file));
  if ('VpcPeeringConnections' in v) return count('describe-vpc-peering-connections', pushAll(r.peerings, aws(DescribeVpcPeeringConnections).VpcPeeringConnections, file));
  if ('InternetGateways' in v) return count('describe-internet-gateways', pushAll(r.internetGateways, aws(DescribeInternetGateways).InternetGateways, file));
  if ('NatGateways' in v) return count('describe-nat-gateways', pushAll(r.natGateways, aws(DescribeNatGateways).NatGateways, file));
  if ('TransitGateways' in v) {
    const list = aws(DescribeTransitGateways).TransitGateways;
    r.transitGateways.push(...list.map((g) => {
      const sgRef = g.Options?.SecurityGroupReferencingSupport;
      return { id: g.TransitGatewayId, file, ...(sgRef ? { securityGroupReferencing: sgRef === 'enable' } : {}) };
    }));
    return count('describe-transit-gateways', list.length);
  }
  if ('TransitGatewayAttachments' in v) return count('describe-transit-gateway-attachments', pushAll(r.tgwAttachments, aws(DescribeTgwAttachments).TransitGatewayAttachments, file));
  if ('TransitGatewayVpcAttachments' in v) return count('describe-transit-gateway-vpc-attachments', pushAll(r.tgwAttachments, aws(DescribeTgwVpcAttachments).TransitGatewayVpcAttachments, file));
  if ('TransitGatewayRouteTables' in v) {
    const list = aws(DescribeTgwRouteTables).TransitGatewayRouteTables;
    r.tgwRouteTables.push(...list.map((t) => ({ id: t.TransitGatewayRouteTableId, tgw: t.TransitGatewayId, file })));
    return count('describe-transit-gateway-route-tables', list.length);
  }
  if ('Routes' in v && Array.isArray(v.Routes)) {
    const table = /tgw-rtb-[0-9a-zA-Z]+/.exec(file)?.[0];
    if (!table) throw new PodpathError('PP_SCHEMA', 'search-transit-gateway-routes output does not name its route table: put the tgw-rtb- id in the file name', { file });
    const out = aws(SearchTgwRoutes);
    r.tgwRoutes.push({ table, routes: out.Routes, file, ...(out.AdditionalRoutesAvailable ? { more: true } : {}) });
    return count(`search-transit-gateway-routes (${table})`, out.Routes.length);
  }
  if ('TransitGatewayStaticRoutes' in v) {
    const list = aws(TgwStaticRoutes).TransitGatewayStaticRoutes;
    for (const t of list) r.tgwRoutes.push({ table: t.TransitGatewayRouteTableId, routes: t.Routes, file, only: 'static', ...(t.AdditionalRoutesAvailable ? { more: true } : {}) });
    return count('transit gateway static routes (per table)', list.length);
  }
  if ('TransitGatewayPropagations' in v) {
    const list = aws(TgwPropagations).TransitGatewayPropagations;
    for (const t of list) r.tgwPropagations.push({ table: t.TransitGatewayRouteTableId, propagations: t.TransitGatewayRouteTablePropagations, file });
    return count('get-transit-gateway-route-table-propagations (per table)', list.length);
  }
  if ('Reservations' in v) {
    const list = aws(DescribeInstances).Reservations.flatMap((x) => x.Instances);
    return count('describe-instances', pushAll(r.instances, list, file));
  }
  if ('NetworkInterfaces' in v) return count('describe-network-interfaces', pushAll(r.interfaces, aws(DescribeNetworkInterfaces).NetworkInterfaces, file));
  if ('DBInstances' in v) return count('describe-db-instances', pushAll(r.dbInstances, aws(DescribeDbInstances).DBInstances, file));
  if ('cluster' in v && isRecord(v.cluster) && ('kubernetesNetworkConfig' in v.cluster || String(v.cluster.arn ?? '').includes(':eks:'))) {
    r.eksClusters.push({ ...aws(DescribeEksCluster).cluster, file });
    return count('eks describe-cluster', 1);
  }
  if ('PrefixLists' in v) {
    const list = aws(DescribePrefixLists).PrefixLists;
    for (const p of list) if (!r.prefixLists.has(p.PrefixListId)) notes.warn(`prefix list ${p.PrefixListId} (${p.PrefixListName ?? 'unnamed'}) has no entries in the snapshot (get-managed-prefix-list-entries)`, file);
    return count('describe-managed-prefix-lists', list.length);
  }
  if ('Entries' in v && !('NetworkAclId' in v)) {
    const id = /pl-[0-9a-zA-Z]+/.exec(file)?.[0];
    if (!id) throw new PodpathError('PP_SCHEMA', 'get-managed-prefix-list-entries output does not name its list: put the pl- id in the file name', { file });
    const cidrs = aws(PrefixListEntries).Entries.map((e) => e.Cidr);
    r.prefixLists.set(id, cidrs);
    return count(`get-managed-prefix-list-entries (${id})`, cidrs.length);
  }
  if ('items' in v && typeof v.kind === 'string') return sortK8sList(doc, r, notes);
  return undefined;
}

/** Appends one by one: a spread into push() overflows the stack past ~120,000 items. */
function pushAll<T extends object>(into: From<T>[], items: T[], file: string): number {
  for (const x of tag(items, file)) into.push(x);
  return items.length;
}

function count(kind: string, items: number) {
  return { kind, items };
}

function sortK8sList(doc: JsonDoc, r: VendorRecords, notes: SnapshotNotes) {
  const list = parseResponse(K8sList, doc);
  // The items as read (K8sList checked that each is an object, and its kind); each is parsed by its kind's schema below.
  const raw = (doc.value as { items: Record<string, unknown>[] }).items;
  const listKind = list.kind.replace(/List$/, '');
  const kinds = new Map<string, number>();
  list.items.forEach(({ kind: itemKind }, i) => {
    const item = raw[i]!;
    const kind = itemKind ?? listKind;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (!(kind in ITEM_SCHEMAS)) {
      if (kind === 'IPPool') r.custom.push({ kind, value: { ...(itemKind !== undefined ? { kind: itemKind } : {}), ...item }, file: doc.file });
      else notes.ignore(`${kind} ${nameOf(item)}`, 'podpath does not read this kind', doc.file);
      return;
    }
    const schema = ITEM_SCHEMAS[kind as ItemKind];
    const rec = tag([parsePart(schema, doc, item, ['items', i])], doc.file)[0]!;
    switch (kind as ItemKind) {
      case 'Node': r.nodes.push(rec as From<K8sNode>); break;
      case 'Pod': r.pods.push(rec as From<K8sPod>); break;
      case 'Service': r.services.push(rec as From<K8sService>); break;
      case 'EndpointSlice': r.endpointSlices.push(rec as From<K8sEndpointSlice>); break;
      case 'ConfigMap': r.configMaps.push(rec as From<K8sConfigMap>); break;
      case 'DaemonSet': r.daemonSets.push(rec as From<K8sDaemonSet>); break;
      case 'ServiceCIDR': r.serviceCidrs.push(rec as From<K8sServiceCidr>); break;
    }
  });
  const what = [...kinds].map(([k, n]) => `${n} ${k}`).join(', ') || 'empty';
  return { kind: `kubectl ${list.kind} (${what})`, items: list.items.length };
}

function nameOf(item: Record<string, unknown>): string {
  const m = isRecord(item.metadata) ? item.metadata : {};
  return [m.namespace, m.name].filter((x) => typeof x === 'string').join('/') || '(unnamed)';
}
