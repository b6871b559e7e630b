/**
 * Resolves the endpoints a user names: `pod:NAME` (or `pod:NS/NAME`),
 * `node:NAME`, `rds:NAME`, `instance:ID`, or a bare IPv4 address, each with an
 * optional `:PORT` on the destination.
 */
import { PodpathError } from '../model/errors.js';
import { formatIpv4, isValidIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import type { Location } from './state.js';
import { podName, type EniRecord, type World } from './world.js';
import { isSynthetic } from './synthetic-hosts.js';

/** A resolved endpoint. */
export interface ResolvedEndpoint {
  /** As the user wrote it, without the port. */
  label: string;
  ip: Ipv4;
  /** Where a packet sent by this endpoint starts; absent when it cannot send (an outside address). */
  start?: Location;
  /** The port the endpoint listens on, when known (RDS). */
  port?: number;
  /** For a source outside the estate: the gateway or attachment it enters by (`internet` for the internet). */
  entry?: string;
}

/**
 * A source outside the estate (an address) whose packets enter at `entry`:
 * `internet` or an `igw-` id (the internet gateway of the VPC that owns the
 * public destination), a `vgw-` gateway or a `tgw-attach-` attachment.
 */
export function outsideSource(w: World, src: string, entry: string): ResolvedEndpoint {
  if (!isValidIpv4(src)) throw new PodpathError('PP_USAGE', `a source entering at ${entry} must be an IPv4 address, not '${src}'`);
  const ip = parseIpv4(src);
  if (w.enis.has(ip) || w.podByIp.has(ip)) throw new PodpathError('PP_USAGE', `${src} is inside the estate: trace it without an entry point`);
  const start = entryLocation(w, entry);
  const label = `${src} (from ${entry === 'internet' ? 'the internet' : entry})`;
  return { label, ip, start, ...(start.at === 'internet-in' ? {} : { entry }) };
}

/** Where packets entering at `entry` start. */
export function entryLocation(w: World, entry: string): Location {
  if (entry === 'internet') return { at: 'internet-in' };
  if (entry.startsWith('igw-')) {
    if (!w.igws.has(entry)) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no internet gateway '${entry}' in the estate`, { hint: `known: ${[...w.igws.keys()].slice(0, 8).join(', ') || 'none'}` });
    return { at: 'internet-in' };
  }
  if (entry.startsWith('vgw-')) {
    // A route to a virtual private gateway exists only in a VPC the gateway is attached to.
    const subnet = [...w.subnets.values()].find((s) => s.routeTable.routes.some((r) => r.target.kind === 'vgw' && r.target.id === entry));
    if (!subnet) throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no route table of the estate routes to '${entry}', so podpath cannot tell which VPC it is attached to`);
    return { at: 'vgw-in', gateway: entry, vpc: subnet.vpc };
  }
  if (entry.startsWith('tgw-attach-')) {
    for (const tgw of w.transitGateways.values()) {
      const attachment = tgw.attachments.find((a) => a.id === entry);
      if (attachment) return { at: 'tgw-in', tgw, attachment };
    }
    throw new PodpathError('PP_UNKNOWN_ENDPOINT', `no transit gateway attachment '${entry}' in the estate`);
  }
  throw new PodpathError('PP_USAGE', `cannot read entry point '${entry}'`, { hint: 'use internet, an igw-, vgw- or tgw-attach- id' });
}

/** Splits `KIND:NAME[:PORT]` or `IP[:PORT]`. */
export function splitPort(text: string): { name: string; port?: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  if (m && (isValidIpv4(m[1]!) || /^(pod|node|rds|instance):/.test(m[1]!))) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new PodpathError('PP_USAGE', `port out of range in '${text}'`);
    return { name: m[1]!, port };
  }
  return { name: text };
}

/** Resolves one endpoint name against the world. */
export function resolveEndpoint(w: World, name: string): ResolvedEndpoint {
  const colon = name.indexOf(':');
  const kind = colon > 0 ? name.slice(0, colon) : '';
  const id = name.slice(colon + 1);
  const known = (what: string, ids: Iterable<string>) =>
    new PodpathError('PP_UNKNOWN_ENDPOINT', `no ${what} '${id}' in the estate`, { hint: `known: ${[...ids].slice(0, 8).join(', ') || 'none'}` });
  switch (kind) {
    case 'pod': {
      const pod = w.pods.get(podName(id));
      if (!pod) throw known('pod', w.pods.keys());
      const start: Location = pod.pod.hostNetwork ? { at: 'host-send', node: pod.node } : { at: 'pod-send', pod };
      return { label: `pod:${pod.name}`, ip: pod.ip, start };
    }
    case 'node': {
      const node = w.nodes.get(id);
      if (!node) throw known('node', w.nodes.keys());
      return { label: name, ip: node.eth0.address, start: { at: 'host-send', node } };
    }
    case 'rds': {
      const rds = w.rdsById.get(id);
      if (!rds) throw known('RDS instance', w.rdsById.keys());
      const ip = parseIpv4(rds.address);
      return { label: name, ip, port: rds.port, start: { at: 'eni-out', eni: w.enis.get(ip)! } };
    }
    case 'instance': {
      const eni = w.instanceEni.get(id);
      if (!eni) throw known('instance', w.instanceEni.keys());
      const node = w.nodeByInstance.get(id);
      return { label: syntheticName(eni) ?? name, ip: eni.primary, start: node ? { at: 'host-send', node } : { at: 'eni-out', eni } };
    }
    case '':
      if (isValidIpv4(name)) return byAddress(w, parseIpv4(name));
  }
  throw new PodpathError('PP_USAGE', `cannot read endpoint '${name}'`, { hint: 'use pod:NAME, node:NAME, rds:NAME, instance:ID or an IPv4 address' });
}

/** The name of a host podpath placed (trace/synthetic-hosts.ts), which says so. */
function syntheticName(eni: EniRecord | undefined): string | undefined {
  return eni?.owner.kind === 'instance' && isSynthetic(eni.owner.instance.id) ? eni.owner.instance.name : undefined;
}

/** An address: whoever owns it in the estate, or an outside address. */
function byAddress(w: World, ip: Ipv4): ResolvedEndpoint {
  const label = syntheticName(w.enis.get(ip)) ?? formatIpv4(ip);
  const pod = w.podByIp.get(ip);
  if (pod) return { label, ip, start: { at: 'pod-send', pod } };
  const eni = w.enis.get(ip);
  if (eni) {
    const node = eni.owner.kind === 'instance' ? w.nodeByInstance.get(eni.owner.instance.id) : undefined;
    const port = eni.owner.kind === 'rds' ? eni.owner.rds.port : undefined;
    return { label, ip, port, start: node ? { at: 'host-send', node } : { at: 'eni-out', eni } };
  }
  return { label, ip };
}
