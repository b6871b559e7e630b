/**
 * The last column of an `iptables -L` rule line — what each match module and
 * the target print about themselves (`tcp dpt:53`, `ADDRTYPE match dst-type
 * LOCAL`, `/* comment *\/`, `to:10.244.0.3:53 random-fully`, `MARK or
 * 0x4000`) — read back into iptables-save words, so the rule goes through
 * the same rule parser as a dump.
 *
 * The printed forms are those of the iptables extensions' `print` functions
 * (libxt_tcp, libxt_addrtype, libxt_mark, libxt_MARK, libipt_DNAT, ...). What
 * cannot be read back exactly is never guessed: it is returned in `unknown`
 * (the caller keeps it as a match that makes the rule `unknown`) or in
 * `warnings` when the loss does not change where a packet goes (LOG flags,
 * rounded counters).
 *
 * Guarantees: never throws; every word of the column is either translated,
 * reported as unknown, or reported in a warning.
 */
import { saveString } from './tokenize.js';

/** The translation of one extras column. */
export interface Extras {
  /** Match words (`-m tcp --dport 53 ...`). */
  matches: string[];
  /** Words after `-j TARGET`. */
  target: string[];
  /** `[goto]` was shown: the rule is `-g`. */
  goto: boolean;
  /** Parts podpath cannot read back (each makes the rule unknown). */
  unknown: string[];
  warnings: string[];
}

/** IANA ports for the service names `iptables -L` prints without `-n` (RFC 6335 registry). */
const SERVICES: Record<string, number> = {
  ftp: 21, 'ftp-data': 20, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, sunrpc: 111, auth: 113,
  ntp: 123, 'netbios-ns': 137, 'netbios-ssn': 139, imap: 143, snmp: 161, ldap: 389, https: 443, submission: 587,
  imaps: 993, pop3s: 995, mysql: 3306, postgresql: 5432, 'http-alt': 8080, 'webcache': 8080, router: 520, route: 520,
};

/** Splits the column into words, keeping `/* ... *\/` comments whole. */
export function extrasWords(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === ' ' || text[i] === '\t') {
      i++;
      continue;
    }
    if (text.startsWith('/* ', i)) {
      const end = text.indexOf(' */', i + 3);
      const stop = end < 0 ? text.length : end + 3;
      out.push(text.slice(i, stop));
      i = stop;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/** A port or service name as a number string; undefined when it is a name podpath does not know. */
function port(text: string, warnings: string[]): string | undefined {
  if (/^\d+$/.test(text)) return text;
  const n = SERVICES[text];
  if (n === undefined) return undefined;
  warnings.push(`service name '${text}' read as port ${n} (IANA); run iptables -L with -n to avoid names`);
  return String(n);
}

const bang = (neg: boolean): string[] => (neg ? ['!'] : []);

/** Translates the extras column of a rule whose target is `target`. */
export function readExtras(text: string, target: string | undefined): Extras {
  const w = extrasWords(text.trim());
  const x: Extras = { matches: [], target: [], goto: false, unknown: [], warnings: [] };
  const t = target ?? '';
  let i = 0;
  const next = (): string | undefined => w[i++];
  const peek = (k = 0): string | undefined => w[i + k];
  while (i < w.length) {
    const start = i;
    const word = next()!;
    let neg = false;
    let head = word;
    if (word === '!' && peek() !== undefined) {
      neg = true;
      head = next()!;
    }
    if (head.startsWith('/* ')) {
      x.matches.push('-m', 'comment', '--comment', saveString(head.slice(3, head.endsWith(' */') ? -3 : undefined)));
      continue;
    }
    if (head === '[goto]') {
      x.goto = true;
      continue;
    }
    if ((head === 'tcp' || head === 'udp' || head === 'sctp') && !neg) {
      const words: string[] = ['-m', head];
      let ok = true;
      while (peek() !== undefined && /^(spts?|dpts?):/.test(peek()!)) {
        const m = /^(s|d)pts?:(!)?(.+)$/.exec(next()!);
        // `dpt:` with nothing after it (a cut or mangled listing) is not a port match podpath can read back.
        if (!m) {
          ok = false;
          continue;
        }
        const range = m[3]!.split(':').map((p) => port(p, x.warnings));
        if (range.some((p) => p === undefined)) ok = false;
        words.push(...bang(m[2] === '!'), m[1] === 's' ? '--sport' : '--dport', range.join(':'));
      }
      if (peek()?.startsWith('flags:') || peek() === 'option=') ok = false;
      if (ok) x.matches.push(...words);
      else x.unknown.push(w.slice(start, i + (peek()?.startsWith('flags:') ? 1 : 0)).join(' '));
      if (peek()?.startsWith('flags:')) i++;
      continue;
    }
    if (head === 'multiport' && /^(s|d)?ports$/.test(peek() ?? '')) {
      const kind = next()!;
      let list = next() ?? '';
      let n = neg;
      if (list === '!' || list.startsWith('!')) {
        n = true;
        list = list === '!' ? (next() ?? '') : list.slice(1);
      }
      const ports = list.split(',').map((p) => p.split(':').map((q) => port(q, x.warnings)));
      if (ports.flat().some((p) => p === undefined)) x.unknown.push(w.slice(start, i).join(' '));
      else x.matches.push('-m', 'multiport', ...bang(n), `--${kind}`, ports.map((p) => p.join(':')).join(','));
      continue;
    }
    if (head === 'icmptype' || head === 'icmp') {
      let type = next() ?? '';
      let n = neg;
      if (type.startsWith('!')) {
        n = true;
        type = type.slice(1);
      }
      if (peek() === 'code') {
        i++;
        type = `${type}/${next() ?? ''}`;
      }
      x.matches.push('-m', 'icmp', ...bang(n), '--icmp-type', type);
      continue;
    }
    if (head === 'ADDRTYPE' && peek() === 'match') {
      i++;
      const words: string[] = ['-m', 'addrtype'];
      while (peek() === 'src-type' || peek() === 'dst-type') {
        const dir = next()!;
        let types = next() ?? '';
        const n = types.startsWith('!');
        if (n) types = types.slice(1);
        words.push(...bang(n), `--${dir}`, types);
      }
      if (peek() === 'limit-in' || peek() === 'limit-out') x.unknown.push(`ADDRTYPE match ... ${next()!}`);
      else x.matches.push(...words);
      continue;
    }
    if ((head === 'state' || head === 'ctstate') && peek() !== undefined) {
      let states = next()!;
      let n = neg;
      if (states.startsWith('!')) {
        n = true;
        states = states.slice(1);
      }
      x.matches.push('-m', head === 'state' ? 'state' : 'conntrack', ...bang(n), head === 'state' ? '--state' : '--ctstate', states);
      continue;
    }
    if ((head === 'mark' || head === 'connmark') && peek() === 'match') {
      i++;
      let n = neg;
      if (peek() === '!') {
        n = true;
        i++;
      }
      x.matches.push('-m', head, ...bang(n), '--mark', next() ?? '');
      continue;
    }
    if (head === 'statistic' && peek() === 'mode') {
      i++;
      const mode = next() ?? '';
      const words = ['-m', 'statistic', '--mode', mode];
      while (peek() === 'probability' || peek() === 'every' || peek() === 'packet') words.push(`--${next()!}`, next() ?? '');
      x.matches.push(...words);
      continue;
    }
    if (head === 'match-set') {
      x.matches.push('-m', 'set', ...bang(neg), '--match-set', next() ?? '', next() ?? '');
      continue;
    }
    if (head === 'limit:' && peek() === 'avg') {
      i++;
      const rate = next() ?? '';
      const words = ['-m', 'limit', '--limit', rate];
      if (peek() === 'burst') {
        i++;
        words.push('--limit-burst', next() ?? '');
      }
      x.matches.push(...words);
      continue;
    }
    // Target options.
    if (head.startsWith('to:') && (t === 'DNAT' || t === 'SNAT')) {
      x.target.push(t === 'DNAT' ? '--to-destination' : '--to-source', head.slice(3));
      continue;
    }
    if ((head === 'random-fully' || head === 'random' || head === 'persistent') && ['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT'].includes(t)) {
      x.target.push(`--${head}`);
      continue;
    }
    if ((head === 'masq' && peek() === 'ports:') || (head === 'redir' && peek() === 'ports')) {
      i++;
      x.target.push('--to-ports', next() ?? '');
      continue;
    }
    if (head === 'reject-with' && t === 'REJECT') {
      x.target.push('--reject-with', next() ?? '');
      continue;
    }
    if ((head === 'MARK' || head === 'CONNMARK') && head === t && /^(or|xor|and|set|xset)$/.test(peek() ?? '')) {
      const op = next()!;
      x.target.push(`--${op === 'xset' ? 'set-xmark' : `${op}-mark`}`, next() ?? '');
      continue;
    }
    if (head === 'CONNMARK' && t === 'CONNMARK' && (peek() === 'restore' || peek() === 'save')) {
      const op = next()!;
      const words = [`--${op}-mark`];
      if (peek() === 'mask') {
        i++;
        words.push('--mask', next() ?? '');
      } else if (peek() === 'nfmask' || peek() === 'ctmask') {
        x.unknown.push(w.slice(start).join(' '));
        i = w.length;
        continue;
      }
      x.target.push(...words);
      continue;
    }
    if (head === 'LOG' && t === 'LOG' && peek() === 'flags') {
      i++;
      const flags = next();
      if (peek() === 'level') {
        i++;
        x.target.push('--log-level', next() ?? '');
      }
      if (peek() === 'prefix') {
        i++;
        x.target.push('--log-prefix', saveString((next() ?? '').replace(/^"|"$/g, '')));
      }
      if (flags !== '0') x.warnings.push(`LOG flags ${flags ?? ''} are not read back (logging does not change the path)`);
      continue;
    }
    x.unknown.push(w.slice(start, i).join(' '));
  }
  return x;
}
