/**
 * The network interfaces attached to one instance, from describe-instances'
 * `NetworkInterfaces` and describe-network-interfaces (`Attachment.InstanceId`;
 * where both describe one interface, describe-network-interfaces wins), in
 * device-index order, with their addresses and delegated prefixes read.
 */
import { isValidCidr } from '../../net/prefix.js';
import type { AwsInstance, AwsInstanceEni } from '../aws/describe-instances.js';
import type { AwsNetworkInterface } from '../aws/describe-network-interfaces.js';
import type { SnapshotNotes } from './notes.js';

/** One attached interface, vendor fields read. */
export interface InstanceEni {
  id: string;
  deviceIndex: number;
  subnet?: string;
  mac?: string;
  privateIp?: string;
  /** Private addresses other than `privateIp`. */
  secondaryIps: string[];
  /** Delegated IPv4 prefixes that are /28 CIDRs (anything else is warned about and left out). */
  ipv4Prefixes: string[];
  groups: string[];
  sourceDestCheck?: boolean;
}

type AnyEni = AwsInstanceEni | AwsNetworkInterface;

/** describe-network-interfaces records by the instance they are attached to, each list in input order. */
export type AttachedInterfaces = ReadonlyMap<string, readonly AwsNetworkInterface[]>;

/** Groups `described` by `Attachment.InstanceId` once, so each instance finds its interfaces without a scan of all. */
export function interfacesByInstance(described: readonly AwsNetworkInterface[]): AttachedInterfaces {
  const out = new Map<string, AwsNetworkInterface[]>();
  for (const e of described) {
    const id = e.Attachment?.InstanceId;
    if (id === undefined) continue;
    const list = out.get(id);
    if (list) list.push(e);
    else out.set(id, [e]);
  }
  return out;
}

/** The instance's interfaces, primary (device index 0) first. */
export function instanceEnis(i: AwsInstance & { file: string }, attached: AttachedInterfaces, notes: SnapshotNotes): InstanceEni[] {
  const byId = new Map<string, AnyEni>(i.NetworkInterfaces.map((e) => [e.NetworkInterfaceId, e]));
  for (const e of attached.get(i.InstanceId) ?? []) byId.set(e.NetworkInterfaceId, e);
  const enis = [...byId.values()].map((e) => read(e, i, notes));
  return enis.sort((a, b) => a.deviceIndex - b.deviceIndex);
}

function read(e: AnyEni, i: AwsInstance & { file: string }, notes: SnapshotNotes): InstanceEni {
  const primaryIp = e.PrivateIpAddress ?? e.PrivateIpAddresses.find((x) => x.Primary)?.PrivateIpAddress;
  const ipv4Prefixes = e.Ipv4Prefixes.map((x) => x.Ipv4Prefix).filter((p) => {
    if (isValidCidr(p) && p.endsWith('/28')) return true;
    notes.warn(`${e.NetworkInterfaceId} of ${i.InstanceId}: delegated prefix '${p}' is not an IPv4 /28; left out`, i.file);
    return false;
  });
  return {
    id: e.NetworkInterfaceId,
    // Without an attachment record, the interface holding the instance's own address is its primary one.
    deviceIndex: e.Attachment?.DeviceIndex ?? (primaryIp === i.PrivateIpAddress ? 0 : Number.MAX_SAFE_INTEGER),
    ...(e.SubnetId ? { subnet: e.SubnetId } : {}),
    ...(e.MacAddress ? { mac: e.MacAddress.toLowerCase() } : {}),
    ...(primaryIp ? { privateIp: primaryIp } : {}),
    secondaryIps: e.PrivateIpAddresses.map((x) => x.PrivateIpAddress).filter((a) => a !== primaryIp),
    ipv4Prefixes,
    groups: e.Groups.map((g) => g.GroupId),
    ...(e.SourceDestCheck !== undefined ? { sourceDestCheck: e.SourceDestCheck } : {}),
  };
}
