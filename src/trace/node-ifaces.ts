/**
 * Which node interface is which ENI, by what the dumps say, never by name:
 * - `ip addr`: an interface whose `link/ether` is an ENI's MAC address
 *   (`MacAddress`), or that carries one of an ENI's private addresses;
 * - the routes (`ip route show table all`) the kernel makes for an address
 *   configured on a device: a connected route (`proto kernel ... dev D src S`),
 *   a `local S ... dev D` or a `broadcast ... dev D src S` route, where S is
 *   one of an ENI's private addresses. Routes someone added (proto boot,
 *   dhcp, static...) are not evidence: they may name any device and source.
 * An interface bound to two ENIs, or an ENI to two interfaces, stays unbound
 * and is named in `conflicts`. Only when nothing in the input binds the
 * primary ENI is it taken to be `eth0` (the historical name, and what a
 * derived route set uses), labelled as assumed, unless `ip addr` lists an
 * `eth0` that evidence did not bind.
 *
 * Guarantees: pure; every bound interface names the evidence that bound it;
 * no interface and no ENI is bound twice.
 */
import { formatIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Prefix } from '../net/prefix.js';
import type { IpAddrIface } from '../linux/ip-addr.js';
import type { RouteEntry } from '../linux/route/ip-route.js';

/** An interface on a node: its name, address and connected prefix. */
export interface Iface {
  name: string;
  address: Ipv4;
  prefix: Prefix;
}

/** What binding needs to know of an ENI (world.ts's EniRecord). */
export interface BindableEni {
  id: string;
  deviceIndex: number;
  mac?: string;
  primary: Ipv4;
  addresses: readonly Ipv4[];
  subnet: { prefix: Prefix };
}

/** A node interface bound to the ENI it is. */
export interface NodeIface<E extends BindableEni = BindableEni> extends Iface {
  eni: E;
  /** The evidence that bound it (`MAC 02:… (ip addr: FILE:LINE)`), or the assumption made. */
  boundBy: string;
  /** True when the binding is assumed (no dump named the interface). */
  assumed: boolean;
}

/** The interfaces bound, and what could not be bound unambiguously. */
export interface Binding<E extends BindableEni> {
  interfaces: NodeIface<E>[];
  conflicts: string[];
}

/** Binds a node's interfaces to its instance's ENIs (`enis[0]` is the primary one). */
export function bindInterfaces<E extends BindableEni>(enis: readonly E[], routes: readonly RouteEntry[], ipAddr: readonly IpAddrIface[] | undefined): Binding<E> {
  const evidence = new Map<string, Map<E, string>>();
  const add = (dev: string, eni: E, why: string) => {
    if (dev === 'lo') return;
    const m = evidence.get(dev) ?? new Map<E, string>();
    if (!m.has(eni)) m.set(eni, why);
    evidence.set(dev, m);
  };
  const ownerOf = (ip: number) => enis.find((e) => e.addresses.includes(ip));
  for (const i of ipAddr ?? []) {
    const at = `ip addr: ${i.loc.file}:${i.loc.line}`;
    const byMac = i.mac ? enis.find((e) => e.mac === i.mac) : undefined;
    if (byMac) add(i.name, byMac, `MAC ${i.mac} (${at})`);
    for (const a of i.addresses) {
      const owner = ownerOf(a.address);
      if (owner) add(i.name, owner, `address ${formatIpv4(a.address)} (${at})`);
    }
  }
  for (const r of routes) {
    // Only routes the kernel makes for an address configured on the device (connected, local, broadcast):
    // a route someone added may name any device with any src.
    if (!r.dev || r.derived || !(r.type === 'local' || r.type === 'broadcast' || r.proto === 'kernel')) continue;
    const at = r.loc ? ` (${r.loc.file}:${r.loc.line})` : '';
    const address = r.type === 'local' && r.dst.len === 32 ? r.dst.addr : r.src;
    const owner = address === undefined ? undefined : ownerOf(address);
    if (owner) add(r.dev, owner, `route \`${r.text.trim()}\`${at}`);
  }

  const conflicts: string[] = [];
  const interfaces: NodeIface<E>[] = [];
  const devsOf = (eni: E) => [...evidence].filter(([, m]) => m.has(eni)).map(([dev]) => dev);
  for (const [dev, m] of evidence) {
    if (m.size > 1) {
      conflicts.push(`interface ${dev} matches ${[...m.keys()].map((e) => e.id).join(' and ')}`);
      continue;
    }
    const [eni, why] = [...m][0]!;
    const devs = devsOf(eni);
    if (devs.length > 1) {
      if (devs[0] === dev) conflicts.push(`${eni.id} matches interfaces ${devs.join(' and ')}`);
      continue;
    }
    interfaces.push({ name: dev, address: eni.primary, prefix: eni.subnet.prefix, eni, boundBy: why, assumed: false });
  }
  const primary = enis[0];
  const eth0Listed = (ipAddr ?? []).some((i) => i.name === 'eth0');
  if (primary && !interfaces.some((i) => i.eni === primary) && !evidence.has('eth0') && !eth0Listed && devsOf(primary).length === 0) {
    interfaces.unshift({
      name: 'eth0', address: primary.primary, prefix: primary.subnet.prefix, eni: primary, assumed: true,
      boundBy: `assumed: nothing in the input names the interface of ${primary.id}, so it is taken to be eth0`,
    });
  }
  // The primary interface first, then by device index.
  interfaces.sort((a, b) => a.eni.deviceIndex - b.eni.deviceIndex);
  return { interfaces, conflicts };
}
