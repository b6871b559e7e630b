/**
 * `ip addr` (ip-address(8)) output: a node's interfaces with their MAC and
 * IPv4 addresses, which is how podpath binds a node's interfaces to ENIs.
 *
 * Format: a header per interface, `INDEX: NAME[@PEER]: <FLAGS> key value...`,
 * then indented lines: `link/ether MAC brd ...`, `inet ADDR/LEN ... scope S NAME`,
 * `inet6 ...`, `valid_lft ...`, `altname ...`. The one-line form (`ip -o addr`,
 * `ip -o link`) puts `INDEX: NAME ...` before each `inet`/`link/` record.
 *
 * Guarantees: `parseIpAddr` never throws. Each interface keeps the file:line of
 * its header; a line that is neither a header nor an indented detail is an
 * error diagnostic; IPv6 and other details are read past (they do not bind
 * IPv4 traces), an unreadable `inet` is a warning.
 */
import { isValidIpv4, parseIpv4, type Ipv4 } from '../net/ipv4.js';
import { parseCidr, type Prefix } from '../net/prefix.js';
import type { SourceLoc, TextSource } from '../model/source.js';
import type { Diagnostic } from '../model/diagnostic.js';

/** One interface as `ip addr` shows it. */
export interface IpAddrIface {
  /** The interface name without its `@peer` suffix (`eni1a@if3` is `eni1a`). */
  name: string;
  index: number;
  /** `link/ether` address, lower case. */
  mac?: string;
  /** IPv4 addresses with their prefix length (`inet 10.0.1.10/19`: 10.0.1.10 in 10.0.0.0/19). */
  addresses: { address: Ipv4; prefix: Prefix; scope: string; secondary: boolean }[];
  loc: SourceLoc;
}

/** Result of parsing `ip addr` output. */
export interface ParsedIpAddr {
  value: IpAddrIface[];
  diagnostics: Diagnostic[];
}

const HEADER = /^(\d+):\s+([^\s:@]+)(?:@\S+?)?:?\s+(.*)$/;

/** Reads `ip addr` / `ip -o addr` / `ip -o link` output. */
export function parseIpAddr(src: TextSource): ParsedIpAddr {
  const file = src.file ?? '<input>';
  const first = src.firstLine ?? 1;
  const byName = new Map<string, IpAddrIface>();
  const diagnostics: Diagnostic[] = [];
  let current: IpAddrIface | undefined;
  src.text.split('\n').forEach((raw, i) => {
    const line = first + i;
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return;
    const diag = (severity: Diagnostic['severity'], message: string) => diagnostics.push({ severity, file, line, text: text.trim(), message });
    let detail = text;
    if (!/^\s/.test(text)) {
      const m = HEADER.exec(text);
      if (!m) {
        diag('error', 'not an ip addr line (expected INDEX: NAME: <FLAGS> ... or an indented detail)');
        current = undefined;
        return;
      }
      const name = m[2]!;
      current = byName.get(name) ?? { name, index: Number(m[1]), addresses: [], loc: { file, line } };
      byName.set(name, current);
      detail = m[3]!;
    }
    if (!current) return;
    readDetail(current, detail.replace(/\\\s*/g, ' ').trim(), diag);
  });
  return { value: [...byName.values()], diagnostics };
}

function readDetail(iface: IpAddrIface, detail: string, diag: (s: Diagnostic['severity'], m: string) => void): void {
  const words = detail.split(/\s+/);
  for (let k = 0; k < words.length; k++) {
    const w = words[k]!;
    const next = words[k + 1];
    if (w === 'link/ether' && next) iface.mac = next.toLowerCase();
    if (w !== 'inet' || !next) continue;
    const [addr, len] = next.split('/');
    if (!addr || !isValidIpv4(addr)) {
      diag('warning', `inet '${next}' is not an IPv4 address; left out`);
      continue;
    }
    try {
      const prefix = parseCidr(`${addr}/${len ?? '32'}`, { nonAligned: 'mask' });
      const rest = words.slice(k + 2);
      const scopeAt = rest.indexOf('scope');
      const scope = scopeAt >= 0 ? rest[scopeAt + 1] ?? 'global' : 'global';
      iface.addresses.push({ address: parseIpv4(addr), prefix, scope, secondary: rest.includes('secondary') });
    } catch {
      diag('warning', `inet '${next}' is not an IPv4 address with a prefix length; left out`);
    }
  }
}

/**
 * The source address the kernel picks for a packet leaving by `dev` when
 * `dev` holds no IPv4 address: the first primary scope-global address of the
 * namespace's devices in index order (net/ipv4/devinet.c inet_select_addr,
 * `no_in_dev`; 127.0.0.1 is scope host and never picked). Undefined when `dev`
 * is not listed, holds an address (its own is used), or nothing qualifies.
 */
export function selectSourceWithoutAddress(ifaces: readonly IpAddrIface[], dev: string): Ipv4 | undefined {
  const own = ifaces.find((i) => i.name === dev);
  if (!own || own.addresses.length > 0) return undefined;
  const ordered = [...ifaces].sort((a, b) => a.index - b.index);
  for (const i of ordered) {
    const a = i.addresses.find((x) => x.scope === 'global' && !x.secondary);
    if (a) return a.address;
  }
  return undefined;
}
