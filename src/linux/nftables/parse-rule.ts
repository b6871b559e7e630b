/**
 * One nft rule's tokens -> statements. Understands the expressions podpath
 * traces with (payload, meta, ct, fib, numgen, sets, maps, verdict maps,
 * concatenations, masks) and the statements verdict, nat, mark set, counter,
 * log, comment, set update. Anything else becomes an `unknown` statement naming
 * the construct, in place: the walk then answers unknown when it reaches it.
 */
import { PodpathError } from '../../model/errors.js';
import { readIpv4 } from '../../net/ipv4.js';
import type { Tok } from './tokenize.js';
import type { Atom, Left, NftElement, NftStmt, Right, Selector, Verdict } from './types.js';
import { atomOf, isFlagType, typeOf } from './values.js';

const VERDICTS = new Set(['accept', 'drop', 'reject', 'return', 'continue', 'jump', 'goto']);
const SEL2: Record<string, Set<string>> = {
  ip: new Set(['saddr', 'daddr', 'protocol']),
  ip6: new Set(['saddr', 'daddr', 'nexthdr']),
  meta: new Set(['l4proto', 'mark', 'iifname', 'oifname', 'nfproto']),
  ct: new Set(['state', 'mark', 'status']),
  th: new Set(['dport', 'sport']),
  tcp: new Set(['dport', 'sport']),
  udp: new Set(['dport', 'sport']),
  sctp: new Set(['dport', 'sport']),
};
const BARE: Record<string, string> = { mark: 'meta mark', iifname: 'meta iifname', oifname: 'meta oifname', l4proto: 'meta l4proto' };
const OPS: Record<string, '&' | '|' | '^'> = { '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^' };

/** A cursor over a run of tokens (one rule, or a set body). */
export class Cursor {
  p = 0;
  constructor(readonly ts: Tok[], readonly file: string) {}
  peek(k = 0): string | undefined {
    return this.ts[this.p + k]?.t;
  }
  next(): string {
    const t = this.ts[this.p++];
    if (!t) throw this.err('unexpected end of rule');
    return t.t;
  }
  expect(w: string): void {
    const got = this.next();
    if (got !== w) throw this.err(`expected '${w}', got '${got}'`);
  }
  done(): boolean {
    return this.p >= this.ts.length;
  }
  err(msg: string): PodpathError {
    const t = this.ts[Math.min(this.p, this.ts.length - 1)];
    return new PodpathError('PP_PARSE', msg, { file: this.file, line: t?.line ?? 1 });
  }
}

/** Reads a selector at the cursor, or undefined (cursor unchanged) when none starts there. */
function selector(c: Cursor): Selector | undefined {
  const a = c.peek();
  if (!a) return undefined;
  if (a === 'numgen' && c.peek(1) === 'random' && c.peek(2) === 'mod') {
    c.p += 3;
    const mod = Number(c.next());
    if (!Number.isInteger(mod) || mod < 1) throw c.err('numgen mod needs a positive number');
    const s: Selector = { key: 'numgen', mod };
    if (c.peek() === 'offset') {
      c.p++;
      s.offset = Number(c.next());
    }
    return s;
  }
  if (a === 'fib' && (c.peek(1) === 'saddr' || c.peek(1) === 'daddr') && c.peek(2) === 'type') {
    const key = `fib ${c.peek(1)} type`;
    c.p += 3;
    return { key };
  }
  if (BARE[a]) {
    c.p++;
    return { key: BARE[a] };
  }
  const b = c.peek(1);
  if (b && SEL2[a]?.has(b)) {
    c.p += 2;
    return { key: `${a} ${b}` };
  }
  return undefined;
}

/** Parses one value word of a type. */
function atom(c: Cursor, type: string, w: string): Atom {
  const a = atomOf(type, w);
  if (typeof a === 'string') throw c.err(a);
  return a;
}

function verdictAt(c: Cursor): Verdict {
  const w = c.next();
  if (!VERDICTS.has(w)) throw c.err(`expected a verdict, got '${w}'`);
  if (w === 'jump' || w === 'goto') return { kind: w, target: c.next() };
  return { kind: w as Verdict['kind'] };
}

/** Elements inside `{ ... }` (cursor after `{`), typed by the key's component types and, for maps, the value type. */
export function elementsIn(c: Cursor, types: string[], valueType: string | undefined): NftElement[] {
  const out: NftElement[] = [];
  while (c.peek() !== '}') {
    if (c.peek() === ',' || c.peek() === '\n') {
      c.p++;
      continue;
    }
    const key: Atom[] = [];
    for (let i = 0; ; i++) {
      const type = types[Math.min(i, types.length - 1)] ?? 'integer';
      key.push(atom(c, type, c.next()));
      if (c.peek() !== '.') break;
      c.p++;
    }
    const e: NftElement = { key };
    for (;;) {
      const w = c.peek();
      if (w === 'comment') {
        c.p++;
        e.comment = c.next();
      } else if (w === 'timeout' || w === 'expires') c.p += 2;
      else break;
    }
    if (c.peek() === ':') {
      c.p++;
      if (valueType === 'verdict' || valueType === undefined) e.value = verdictAt(c);
      else e.value = [atom(c, valueType, c.next())];
    }
    out.push(e);
    if (c.done()) throw c.err("missing '}'");
  }
  c.p++;
  return out;
}

function right(c: Cursor, types: string[], valueType?: string): Right {
  const w = c.next();
  if (w === '{') return { elements: elementsIn(c, types, valueType) };
  if (w.startsWith('@')) return { ref: w.slice(1) };
  const elements: NftElement[] = [{ key: [atom(c, types[0]!, w)] }];
  while (c.peek() === ',' && types.length === 1) {
    c.p++;
    elements.push({ key: [atom(c, types[0]!, c.next())] });
  }
  return { elements };
}

function markValue(c: Cursor): Pick<Extract<NftStmt, { kind: 'mangle' }>, 'from' | 'value' | 'ops'> {
  let from: 'meta mark' | 'ct mark' | 'const' = 'const';
  let value = 0;
  const w = c.next();
  if (w === 'mark' || (w === 'meta' && c.peek() === 'mark')) {
    if (w === 'meta') c.p++;
    from = 'meta mark';
  } else if (w === 'ct' && c.peek() === 'mark') {
    c.p++;
    from = 'ct mark';
  } else {
    const a = atomOf('mark', w);
    if (typeof a === 'string' || 'str' in a) throw c.err(`mark value '${w}' not understood`);
    value = a.lo;
  }
  const ops: { op: '&' | '|' | '^'; value: number }[] = [];
  while (c.peek() !== undefined && OPS[c.peek()!]) {
    const op = OPS[c.next()]!;
    const a = atomOf('mark', c.next());
    if (typeof a === 'string' || 'str' in a) throw c.err('mask value not understood');
    ops.push({ op, value: a.lo });
  }
  return { from, value, ops };
}

function nat(c: Cursor, type: 'dnat' | 'snat' | 'masquerade' | 'redirect'): NftStmt {
  const s: Extract<NftStmt, { kind: 'nat' }> = { kind: 'nat', type };
  if (c.peek() === 'ip' && (type === 'dnat' || type === 'snat')) c.p++;
  if (c.peek() === 'ip6' || c.peek() === 'inet') return { kind: 'unknown', construct: `${type} ${c.peek()}` };
  if (c.peek() === 'to') {
    c.p++;
    const w = c.next();
    const colon = w.lastIndexOf(':');
    const addr = colon < 0 ? w : w.slice(0, colon);
    if (w.startsWith('[')) return { kind: 'unknown', construct: `${type} to ${w} (IPv6)` };
    if (addr) {
      const ip = readIpv4(addr);
      if (ip < 0) return { kind: 'unknown', construct: `${type} to ${w}` };
      s.addr = ip;
    }
    if (colon >= 0) {
      const port = Number(w.slice(colon + 1));
      if (!Number.isInteger(port)) return { kind: 'unknown', construct: `${type} to ${w}` };
      s.port = port;
    }
  }
  const flags: string[] = [];
  while (c.peek() && /^(fully-random|random|persistent)(,(fully-random|random|persistent))*$/.test(c.peek()!)) flags.push(...c.next().split(','));
  if (flags.length) s.flags = flags;
  return s;
}

/** Parses one rule's tokens. Bad syntax in something understood throws PP_PARSE with the line. */
export function parseRuleTokens(ts: Tok[], file: string): { stmts: NftStmt[]; comment?: string } {
  const c = new Cursor(ts, file);
  const stmts: NftStmt[] = [];
  let comment: string | undefined;
  const unknownRest = () => {
    const rest = ts.slice(c.p).map((t) => t.t);
    const at = rest.indexOf('comment');
    if (at >= 0 && ts[c.p + at + 1]?.quoted) comment = ts[c.p + at + 1]!.t;
    stmts.push({ kind: 'unknown', construct: (at >= 0 ? rest.slice(0, at) : rest).join(' ') });
    c.p = ts.length;
  };
  while (!c.done()) {
    const w = c.peek()!;
    if (VERDICTS.has(w)) {
      stmts.push({ kind: 'verdict', verdict: verdictAt(c) });
      if (w === 'reject' && c.peek() === 'with') {
        c.p += 2;
        if (c.peek() === 'type') c.p += 2;
        else if (c.peek() === 'reset') c.p++;
      }
    } else if (w === 'counter') {
      c.p++;
      if (c.peek() === 'packets') c.p += 4;
      stmts.push({ kind: 'counter' });
    } else if (w === 'comment') {
      c.p++;
      comment = c.next();
    } else if (w === 'log') {
      c.p++;
      while (c.peek() && ['prefix', 'level', 'group', 'snaplen', 'queue-threshold', 'flags'].includes(c.peek()!)) c.p += 2;
      stmts.push({ kind: 'log' });
    } else if (w === 'masquerade' || w === 'snat' || w === 'dnat' || w === 'redirect') {
      c.p++;
      stmts.push(nat(c, w));
    } else if ((w === 'meta' && c.peek(1) === 'mark' && c.peek(2) === 'set') || (w === 'mark' && c.peek(1) === 'set') || (w === 'ct' && c.peek(1) === 'mark' && c.peek(2) === 'set')) {
      const target = w === 'ct' ? 'ct mark' : 'meta mark';
      c.p += w === 'mark' ? 2 : 3;
      stmts.push({ kind: 'mangle', target, ...markValue(c) });
    } else if ((w === 'update' || w === 'add') && c.peek(1)?.startsWith('@')) {
      c.p += 2;
      const set = c.ts[c.p - 1]!.t.slice(1);
      if (c.next() !== '{') throw c.err("expected '{' after the set name");
      while (!c.done() && c.next() !== '}');
      stmts.push({ kind: 'set-update', set });
    } else {
      const first = selector(c);
      if (!first) {
        unknownRest();
        break;
      }
      const left: Left = { sels: [first] };
      while (c.peek() === '.') {
        c.p++;
        const s = selector(c);
        if (!s) throw c.err('expected a selector after "."');
        left.sels.push(s);
      }
      while (c.peek() !== undefined && OPS[c.peek()!] && left.sels.length === 1) {
        const op = OPS[c.next()]!;
        const a = atomOf('mark', c.next());
        if (typeof a === 'string' || 'str' in a) throw c.err('mask value not understood');
        (left.ops ??= []).push({ op, value: a.lo });
      }
      const types = left.sels.map((s) => (left.ops ? 'mark' : typeOf(s.key)));
      if (c.peek() === 'vmap') {
        c.p++;
        stmts.push({ kind: 'vmap', left, map: right(c, types, 'verdict') });
        continue;
      }
      let op: '==' | '!=' = '==';
      if (c.peek() === '!=' || c.peek() === 'ne') {
        op = '!=';
        c.p++;
      } else if (c.peek() === '==' || c.peek() === 'eq') c.p++;
      else if (c.peek() && ['<', '>', '<=', '>=', 'lt', 'gt', 'le', 'ge'].includes(c.peek()!)) {
        unknownRest();
        break;
      }
      if (c.done()) throw c.err(`${first.key}: value missing`);
      stmts.push({ kind: 'match', left, op, right: right(c, types) });
    }
  }
  return comment !== undefined ? { stmts, comment } : { stmts };
}

/** True when a flag-typed single value compares by bit (ct state new). */
export const flagCompare = (left: Left): boolean => left.sels.length === 1 && !left.ops && isFlagType(typeOf(left.sels[0]!.key));
