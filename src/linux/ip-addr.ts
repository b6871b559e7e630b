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
  addresses: { address: Ipv4; prefix: Prefix }[];
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
      iface.addresses.push({ address: parseIpv4(addr), prefix });
    } catch {
      diag('warning', `inet '${next}' is not an IPv4 address with a prefix length; left out`);
    }
  }
}
