/**
 * The instance a network interface belongs to, for routes whose target is an
 * ENI (`NetworkInterfaceId`): indexed once per snapshot instead of scanning
 * every instance and interface for each such route (a route table per node
 * group pointing at ENIs made that routes x interfaces).
 *
 * Guarantees (the order the former scans kept): describe-instances answers
 * before describe-network-interfaces; within each, the first record in input
 * order that lists the interface with the asked attachment wins, even when its
 * answer is unusable (an interface record without `Attachment.InstanceId`
 * answers undefined; no later record is consulted).
 * Primary and secondary follow `Attachment.DeviceIndex`: in describe-instances a
 * missing index reads as 0 (primary); in describe-network-interfaces only an
 * explicit 0 is primary and a missing index is neither.
 */
import type { VendorRecords } from './collect-docs.js';

/** Owner look-ups by interface id; each answers the owning instance id or undefined. */
export interface EniOwners {
  /** The instance that has this interface at device index 0. */
  primary(eni: string): string | undefined;
  /** The instance that has this interface at device index 1 or above. */
  secondary(eni: string): string | undefined;
}

type Owners = Map<string, string | undefined>;

/** First writer wins: a later record never replaces an earlier answer (undefined included). */
function keepFirst(m: Owners, eni: string, owner: string | undefined): void {
  if (!m.has(eni)) m.set(eni, owner);
}

function index(r: Pick<VendorRecords, 'instances' | 'interfaces'>) {
  const fromInstances = { primary: new Map() as Owners, secondary: new Map() as Owners };
  for (const i of r.instances) {
    for (const e of i.NetworkInterfaces) {
      const at = e.Attachment?.DeviceIndex ?? 0;
      if (at === 0) keepFirst(fromInstances.primary, e.NetworkInterfaceId, i.InstanceId);
      if (at > 0) keepFirst(fromInstances.secondary, e.NetworkInterfaceId, i.InstanceId);
    }
  }
  const fromInterfaces = { primary: new Map() as Owners, secondary: new Map() as Owners };
  for (const e of r.interfaces) {
    if (e.Attachment?.DeviceIndex === 0) keepFirst(fromInterfaces.primary, e.NetworkInterfaceId, e.Attachment.InstanceId);
    if ((e.Attachment?.DeviceIndex ?? 0) > 0) keepFirst(fromInterfaces.secondary, e.NetworkInterfaceId, e.Attachment?.InstanceId);
  }
  return { fromInstances, fromInterfaces };
}

/** Owner look-ups over `r`'s instances and interfaces; the index is built on the first look-up. */
export function eniOwners(r: Pick<VendorRecords, 'instances' | 'interfaces'>): EniOwners {
  let built: ReturnType<typeof index> | undefined;
  const get = (kind: 'primary' | 'secondary', eni: string) => {
    built ??= index(r);
    // An instance record that lists the interface answers (its InstanceId is never empty); else the first interface record does.
    return built.fromInstances[kind].get(eni) ?? built.fromInterfaces[kind].get(eni);
  };
  return { primary: (eni) => get('primary', eni), secondary: (eni) => get('secondary', eni) };
}
