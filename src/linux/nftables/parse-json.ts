/**
 * `nft -j list ruleset` (libnftables-json(5), schema version 1) into the
 * nftables model. Locations are table/chain/handle (the kernel's handles).
 * Expressions podpath does not model become `unknown` statements naming the
 * JSON construct; a document that is not an nftables JSON listing throws
 * PP_PARSE with the file (and the index of the offending object).
 */
import { PodpathError } from '../../model/errors.js';
import { readIpv4 } from '../../net/ipv4.js';
import type { Atom, Left, NftChain, NftElement, NftFamily, NftHook, NftRule, NftRuleset, NftSet, NftStmt, NftTable, Right, Selector, Verdict } from './types.js';
import { atomOf, typeOf } from './values.js';
import { showRule } from './show.js';
import { validateRefs } from './validate.js';

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const VERDICT_KEYS = new Set(['accept', 'drop', 'reject', 'return', 'continue', 'jump', 'goto']);

class Unknown extends Error {}

function selectorOf(v: unknown): Selector {
  if (!isObj(v)) throw new Unknown(JSON.stringify(v));
  if (isObj(v.payload)) return { key: `${String(v.payload.protocol)} ${String(v.payload.field)}` };
  if (isObj(v.meta)) return { key: `meta ${String(v.meta.key)}` };
  if (isObj(v.ct) && v.ct.dir === undefined) return { key: `ct ${String(v.ct.key)}` };
  if (isObj(v.fib) && v.fib.result === 'type' && Array.isArray(v.fib.flags) && v.fib.flags.length === 1) return { key: `fib ${String(v.fib.flags[0])} type` };
  if (isObj(v.numgen) && v.numgen.mode === 'random') {
    const s: Selector = { key: 'numgen', mod: Number(v.numgen.mod) };
    if (v.numgen.offset) s.offset = Number(v.numgen.offset);
    return s;
  }
  throw new Unknown(JSON.stringify(v));
}

function leftOf(v: unknown): Left {
  if (isObj(v) && Array.isArray(v.concat)) return { sels: v.concat.map(selectorOf) };
  for (const op of ['&', '|', '^'] as const) {
    if (isObj(v) && Array.isArray(v[op])) {
      const [inner, value] = v[op] as [unknown, unknown];
      const l = leftOf(inner);
      (l.ops ??= []).push({ op, value: Number(value) >>> 0 });
      return l;
    }
  }
  return { sels: [selectorOf(v)] };
}

function atomJ(type: string, v: unknown): Atom {
  let text: string;
  if (typeof v === 'string' || typeof v === 'number') text = String(v);
  else if (isObj(v) && isObj(v.prefix)) text = `${String(v.prefix.addr)}/${String(v.prefix.len)}`;
  else if (isObj(v) && Array.isArray(v.range)) text = `${String(v.range[0])}-${String(v.range[1])}`;
  else throw new Unknown(JSON.stringify(v));
  const a = atomOf(type, text);
  if (typeof a === 'string') throw new Unknown(a);
  return a;
}

function verdictJ(v: unknown): Verdict {
  if (!isObj(v)) throw new Unknown(JSON.stringify(v));
  const k = Object.keys(v)[0]!;
  if (!VERDICT_KEYS.has(k)) throw new Unknown(JSON.stringify(v));
  if (k === 'jump' || k === 'goto') return { kind: k, target: String((v[k] as J).target) };
  return { kind: k as Verdict['kind'] };
}

/** One element: key (maybe `{elem: {val, comment}}`, maybe a concat) and, for maps, a value. */
function elementJ(types: string[], raw: unknown, valueType?: string): NftElement {
  let keyRaw = raw;
  let value: unknown;
  if (valueType !== undefined && Array.isArray(raw)) [keyRaw, value] = raw as [unknown, unknown];
  let comment: string | undefined;
  if (isObj(keyRaw) && isObj(keyRaw.elem)) {
    if (typeof keyRaw.elem.comment === 'string') comment = keyRaw.elem.comment;
    keyRaw = keyRaw.elem.val;
  }
  const parts = isObj(keyRaw) && Array.isArray(keyRaw.concat) ? keyRaw.concat : [keyRaw];
  const e: NftElement = { key: parts.map((p, i) => atomJ(types[Math.min(i, types.length - 1)] ?? 'integer', p)) };
  if (valueType !== undefined) e.value = valueType === 'verdict' ? verdictJ(value) : [atomJ(valueType, value)];
  if (comment !== undefined) e.comment = comment;
  return e;
}

function rightJ(types: string[], v: unknown, valueType?: string): Right {
  if (typeof v === 'string' && v.startsWith('@')) return { ref: v.slice(1) };
  if (isObj(v) && Array.isArray(v.set)) return { elements: v.set.map((e) => elementJ(types, e, valueType)) };
  return { elements: [elementJ(types, v, valueType)] };
}

function markJ(v: unknown): { from: 'meta mark' | 'ct mark' | 'const'; value: number; ops: { op: '&' | '|' | '^'; value: number }[] } {
  if (typeof v === 'number') return { from: 'const', value: v >>> 0, ops: [] };
  if (isObj(v) && isObj(v.meta) && v.meta.key === 'mark') return { from: 'meta mark', value: 0, ops: [] };
  if (isObj(v) && isObj(v.ct) && v.ct.key === 'mark') return { from: 'ct mark', value: 0, ops: [] };
  for (const op of ['&', '|', '^'] as const) {
    if (isObj(v) && Array.isArray(v[op])) {
      const [inner, n] = v[op] as [unknown, unknown];
      const m = markJ(inner);
      m.ops.push({ op, value: Number(n) >>> 0 });
      return m;
    }
  }
  throw new Unknown(JSON.stringify(v));
}

function stmtJ(e: unknown): NftStmt {
  if (!isObj(e)) throw new Unknown(JSON.stringify(e));
  const k = Object.keys(e)[0]!;
  const v = e[k];
  if (VERDICT_KEYS.has(k)) return { kind: 'verdict', verdict: verdictJ({ [k]: v }) };
  switch (k) {
    case 'match': {
      const m = v as J;
      const left = leftOf(m.left);
      const op = m.op === '!=' ? '!=' : m.op === '==' || m.op === 'in' ? '==' : undefined;
      if (!op) throw new Unknown(`match op ${String(m.op)}`);
      const types = left.sels.map((s) => (left.ops ? 'mark' : typeOf(s.key)));
      // `ct state established,related` is a JSON list: the value is a set of flags.
      const right = Array.isArray(m.right) ? { elements: m.right.map((x) => elementJ(types, x)) } : rightJ(types, m.right);
      return { kind: 'match', left, op, right };
    }
    case 'vmap': {
      const m = v as J;
      const left = leftOf(m.key);
      return { kind: 'vmap', left, map: rightJ(left.sels.map((s) => (left.ops ? 'mark' : typeOf(s.key))), m.data, 'verdict') };
    }
    case 'dnat': case 'snat': case 'masquerade': case 'redirect': {
      const s: Extract<NftStmt, { kind: 'nat' }> = { kind: 'nat', type: k };
      const o = isObj(v) ? v : {};
      if (o.family === 'ip6' || (typeof o.addr === 'string' && o.addr.includes(':'))) throw new Unknown(`${k} to [${String(o.addr)}]${o.port !== undefined ? `:${String(o.port)}` : ''} (IPv6)`);
      if (o.addr !== undefined) {
        const ip = typeof o.addr === 'string' ? readIpv4(o.addr) : -1;
        if (ip < 0) throw new Unknown(`${k} ${JSON.stringify(v)}`);
        s.addr = ip;
      }
      if (o.port !== undefined) {
        if (typeof o.port !== 'number') throw new Unknown(`${k} ${JSON.stringify(v)}`);
        s.port = o.port;
      }
      if (o.flags !== undefined) s.flags = Array.isArray(o.flags) ? o.flags.map(String) : [String(o.flags)];
      return s;
    }
    case 'mangle': {
      const m = v as J;
      const key = isObj(m.key) && isObj(m.key.meta) && m.key.meta.key === 'mark' ? 'meta mark' : isObj(m.key) && isObj(m.key.ct) && m.key.ct.key === 'mark' ? 'ct mark' : undefined;
      if (!key) throw new Unknown(`mangle ${JSON.stringify(m.key)}`);
      return { kind: 'mangle', target: key, ...markJ(m.value) };
    }
    case 'counter': return { kind: 'counter' };
    case 'log': return { kind: 'log' };
    case 'set': {
      const m = v as J;
      if ((m.op === 'update' || m.op === 'add') && typeof m.set === 'string') return { kind: 'set-update', set: m.set.replace(/^@/, '') };
      break;
    }
  }
  throw new Unknown(JSON.stringify(e));
}

const HOOKS = new Set(['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress']);

/** Parses `nft -j list ruleset` output. */
export function parseNftJson(text: string, file: string): NftRuleset {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PodpathError('PP_PARSE', `not JSON: ${(e as Error).message}`, { file });
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new PodpathError('PP_PARSE', 'not an nft -j listing (no "nftables" array)', { file, line: 1 });
  const rs: NftRuleset = { file, format: 'json', tables: [] };
  const table = (o: J, i: number): NftTable => {
    const t = rs.tables.find((x) => x.family === o.family && x.name === o.table);
    if (!t) throw new PodpathError('PP_PARSE', `object ${i}: table ${String(o.family)} ${String(o.table)} is not listed before it`, { file });
    return t;
  };
  doc.nftables.forEach((item: unknown, i: number) => {
    if (!isObj(item)) throw new PodpathError('PP_PARSE', `object ${i} is not an object`, { file });
    const [kind] = Object.keys(item);
    const o = item[kind!] as J;
    if (kind === 'metainfo') return;
    if (!isObj(o)) throw new PodpathError('PP_PARSE', `object ${i}: ${String(kind)} is not an object`, { file });
    const handle = typeof o.handle === 'number' ? { handle: o.handle } : {};
    if (kind === 'table') {
      rs.tables.push({ family: o.family as NftFamily, name: String(o.name), loc: { file, ...handle }, chains: new Map(), sets: new Map() });
    } else if (kind === 'chain') {
      const ch: NftChain = { name: String(o.name), loc: { file, ...handle }, rules: [] };
      if (o.hook !== undefined) {
        if (!HOOKS.has(String(o.hook)) || (o.type !== 'filter' && o.type !== 'nat' && o.type !== 'route')) throw new PodpathError('PP_PARSE', `object ${i}: chain ${ch.name}: bad type or hook`, { file });
        ch.base = { type: o.type, hook: o.hook as NftHook, priority: Number(o.prio), policy: o.policy === 'drop' ? 'drop' : 'accept' };
      }
      if (typeof o.comment === 'string') ch.comment = o.comment;
      table(o, i).chains.set(ch.name, ch);
    } else if (kind === 'set' || kind === 'map') {
      const keyType = Array.isArray(o.type) ? o.type.map(String) : [String(o.type)];
      const s: NftSet = { name: String(o.name), loc: { file, ...handle }, keyType, flags: Array.isArray(o.flags) ? o.flags.map(String) : [], elements: [] };
      if (kind === 'map') s.valueType = String(o.map);
      s.elements = Array.isArray(o.elem) ? o.elem.map((e) => {
        try {
          return elementJ(keyType, e, s.valueType);
        } catch (err) {
          if (err instanceof Unknown) throw new PodpathError('PP_PARSE', `object ${i}: set ${s.name}: element not understood: ${err.message}`, { file });
          throw err;
        }
      }) : [];
      table(o, i).sets.set(s.name, s);
    } else if (kind === 'rule') {
      const t = table(o, i);
      const ch = t.chains.get(String(o.chain));
      if (!ch) throw new PodpathError('PP_PARSE', `object ${i}: chain ${String(o.chain)} is not listed before its rule`, { file });
      const exprs = Array.isArray(o.expr) ? o.expr : [];
      const stmts: NftStmt[] = [];
      for (const e of exprs) {
        try {
          stmts.push(stmtJ(e));
        } catch (err) {
          if (!(err instanceof Unknown)) throw err;
          stmts.push({ kind: 'unknown', construct: err.message });
          break;
        }
      }
      const rule: NftRule = { index: ch.rules.length + 1, loc: { file, ...handle }, text: '', stmts };
      if (typeof o.comment === 'string') rule.comment = o.comment;
      rule.text = showRule(rule);
      ch.rules.push(rule);
    }
  });
  validateRefs(rs);
  return rs;
}
