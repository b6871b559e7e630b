/**
 * `nft list ruleset` text (block form: `table ip t { chain c { ... } }`) and
 * `nft -f` command files (`add table`, `add chain`, `add rule`, `add set|map`,
 * `add element`, `insert rule`, `flush ruleset|table|chain`, `delete table`)
 * into the nftables model, keeping file:line on every table, chain, set and rule.
 *
 * Guarantees: pure; bad syntax and references nft refuses (a rule in a chain
 * or table that does not exist, a jump to an undefined chain, an undefined
 * `@set`) throw PP_PARSE with file:line; a rule expression podpath does not
 * model is kept as an `unknown` statement (see parse-rule.ts), never dropped.
 */
import { PodpathError } from '../../model/errors.js';
import { Cursor, elementsIn, parseRuleTokens } from './parse-rule.js';
import { tokenize, type Tok } from './tokenize.js';
import type { BaseChain, NftChain, NftFamily, NftHook, NftRule, NftRuleset, NftSet, NftTable } from './types.js';
import { NAMED_PRIORITY, typeOf } from './values.js';
import { validateElements, validateRefs, validateRule } from './validate.js';

const FAMILIES = new Set<NftFamily>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const HOOKS = new Set<NftHook>(['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress', 'egress']);
const SEP = new Set(['\n', ';']);

/** Parses nft text (either form, or a mix as `nft -f` accepts). */
export function parseNftText(text: string, file: string): NftRuleset {
  const c = new Cursor(tokenize(text, file), file);
  const rs: NftRuleset = { file, format: 'text', tables: [] };
  const line = () => c.ts[Math.min(c.p, c.ts.length - 1)]!.line;
  const family = (): NftFamily => (FAMILIES.has(c.peek() as NftFamily) ? (c.next() as NftFamily) : 'ip');
  const findTable = (fam: NftFamily, name: string, at: number): NftTable => {
    const t = rs.tables.find((x) => x.family === fam && x.name === name);
    if (!t) throw new PodpathError('PP_PARSE', `table ${fam} ${name} does not exist`, { file, line: at });
    return t;
  };
  const ensureTable = (fam: NftFamily, name: string, at: number): NftTable => {
    let t = rs.tables.find((x) => x.family === fam && x.name === name);
    if (!t) rs.tables.push((t = { family: fam, name, loc: { file, line: at }, chains: new Map(), sets: new Map() }));
    return t;
  };
  const skipSep = () => {
    while (!c.done() && SEP.has(c.peek()!)) c.p++;
  };
  /** Tokens up to the end of the statement (line end or `;` outside braces, or the closing `}` of the block). */
  const statementTokens = (): Tok[] => {
    const out: Tok[] = [];
    let depth = 0;
    while (!c.done()) {
      const t = c.ts[c.p]!;
      if (depth === 0 && (SEP.has(t.t) || t.t === '}')) break;
      c.p++;
      if (t.t === '\n') continue;
      if (t.t === '{') depth++;
      if (t.t === '}') depth--;
      out.push(t);
    }
    if (depth > 0) throw new PodpathError('PP_PARSE', "missing '}'", { file, line: line() });
    return out;
  };
  const ensureChain = (t: NftTable, name: string, at: number): NftChain => {
    let ch = t.chains.get(name);
    if (!ch) t.chains.set(name, (ch = { name, loc: { file, line: at }, rules: [] }));
    return ch;
  };
  const addRule = (ch: NftChain, toks: Tok[], at: number, first = false) => {
    if (toks.length === 0) throw new PodpathError('PP_PARSE', 'empty rule', { file, line: at });
    const parsed = parseRuleTokens(toks, file);
    const rule: NftRule = { index: 0, loc: { file, line: at }, text: toks.map((t) => (t.quoted ? `"${t.t}"` : t.t)).join(' '), stmts: parsed.stmts };
    if (parsed.comment !== undefined) rule.comment = parsed.comment;
    if (first) {
      ch.rules.unshift(rule);
      ch.rules.forEach((r, i) => (r.index = i + 1));
    } else rule.index = ch.rules.push(rule);
  };

  /** `type T hook H [device D] priority P ; policy X ; comment "c"` up to the closing brace. */
  const chainSpec = (ch: NftChain, closing: boolean) => {
    for (;;) {
      skipSep();
      const w = c.peek();
      if (w === undefined || w === '}') break;
      if (w === 'type') {
        c.p++;
        const type = c.next();
        c.expect('hook');
        const hook = c.next() as NftHook;
        if (type !== 'filter' && type !== 'nat' && type !== 'route') throw c.err(`unknown chain type ${type}`);
        if (!HOOKS.has(hook)) throw c.err(`unknown hook ${hook}`);
        if (c.peek() === 'device') c.p += 2;
        c.expect('priority');
        const words: string[] = [];
        while (!c.done() && !SEP.has(c.peek()!) && c.peek() !== '}') words.push(c.next());
        const base: BaseChain = { type, hook, priority: priorityOf(words, c), policy: ch.base?.policy ?? 'accept' };
        ch.base = base;
      } else if (w === 'policy') {
        c.p++;
        const p = c.next();
        if (p !== 'accept' && p !== 'drop') throw c.err(`bad policy ${p}`);
        if (!ch.base) throw c.err('policy on a chain without a hook');
        ch.base.policy = p;
      } else if (w === 'comment') {
        c.p++;
        ch.comment = c.next();
      } else if (closing) {
        const at = line();
        addRule(ch, statementTokens(), at);
      } else throw c.err(`unexpected '${w}' in chain spec`);
    }
  };

  const setSpec = (set: NftSet) => {
    for (;;) {
      skipSep();
      const w = c.next();
      if (w === '}') return;
      if (w === 'type' || w === 'typeof') {
        const words = statementTokens().map((t) => t.t);
        const colon = words.indexOf(':');
        const keyWords = colon < 0 ? words : words.slice(0, colon);
        const parts = keyWords.join(' ').split(' . ');
        set.keyType = w === 'type' ? parts : parts.map((p) => typeOf(p.replace(/^(mark|l4proto|iifname|oifname)$/, 'meta $1')));
        if (colon >= 0) set.valueType = w === 'type' ? words.slice(colon + 1).join(' ') : typeOf(words.slice(colon + 1).join(' '));
      } else if (w === 'flags') {
        set.flags = statementTokens().map((t) => t.t).filter((t) => t !== ',');
      } else if (w === 'comment') c.next();
      else if (w === 'elements') {
        c.expect('=');
        c.expect('{');
        set.elements.push(...elementsIn(c, set.keyType, set.valueType));
      } else if (['timeout', 'size', 'gc-interval', 'policy', 'auto-merge', 'counter'].includes(w)) statementTokens();
      else throw c.err(`unexpected '${w}' in set`);
    }
  };
  const newSet = (t: NftTable, name: string, at: number, map: boolean): NftSet => {
    const s: NftSet = { name, loc: { file, line: at }, keyType: [], flags: [], elements: [] };
    if (map) s.valueType = 'verdict';
    if (!t.sets.has(name)) t.sets.set(name, s);
    return t.sets.get(name)!;
  };

  const tableBody = (t: NftTable) => {
    for (;;) {
      skipSep();
      const at = line();
      const w = c.next();
      if (w === '}') return;
      if (w === 'chain') {
        const ch = ensureChain(t, c.next(), at);
        c.expect('{');
        chainSpec(ch, true);
        c.expect('}');
      } else if (w === 'set' || w === 'map') {
        const s = newSet(t, c.next(), at, w === 'map');
        c.expect('{');
        setSpec(s);
      } else if (w === 'comment') c.next();
      else if (w === 'flags') statementTokens();
      else throw new PodpathError('PP_PARSE', `podpath does not read '${w}' objects in a table`, { file, line: at });
    }
  };

  for (;;) {
    skipSep();
    if (c.done()) break;
    const at = line();
    const w = c.next();
    if (w === 'table') {
      const t = ensureTable(family(), c.next(), at);
      c.expect('{');
      tableBody(t);
    } else if (w === 'add' || w === 'create' || w === 'insert') {
      const what = c.next();
      const fam = family();
      const tname = c.next();
      if (what === 'table') {
        const t = ensureTable(fam, tname, at);
        if (c.peek() === '{') {
          c.p++;
          tableBody(t);
        }
        continue;
      }
      const t = findTable(fam, tname, at);
      const name = c.next();
      if (what === 'chain') {
        const ch = ensureChain(t, name, at);
        if (c.peek() === '{') {
          c.p++;
          chainSpec(ch, false);
          c.expect('}');
        }
      } else if (what === 'rule') {
        const ch = t.chains.get(name);
        if (!ch) throw new PodpathError('PP_PARSE', `chain ${name} does not exist in table ${fam} ${tname}`, { file, line: at });
        addRule(ch, statementTokens(), at, w === 'insert');
        const added = w === 'insert' ? ch.rules[0]! : ch.rules[ch.rules.length - 1]!;
        validateRule(t, added.stmts, added.loc);
      } else if (what === 'set' || what === 'map') {
        const s = newSet(t, name, at, what === 'map');
        c.expect('{');
        setSpec(s);
      } else if (what === 'element') {
        const s = t.sets.get(name);
        if (!s) throw new PodpathError('PP_PARSE', `set ${name} does not exist in table ${fam} ${tname}`, { file, line: at });
        c.expect('{');
        const added = elementsIn(c, s.keyType, s.valueType);
        validateElements(t, added, { file, line: at });
        s.elements.push(...added);
      } else throw new PodpathError('PP_PARSE', `podpath does not read 'add ${what}'`, { file, line: at });
    } else if (w === 'flush' && c.peek() === 'ruleset') {
      c.p++;
      rs.tables = [];
    } else if ((w === 'flush' || w === 'delete') && (c.peek() === 'table' || c.peek() === 'chain')) {
      const what = c.next();
      const t = findTable(family(), c.next(), at);
      if (what === 'chain') {
        const ch = t.chains.get(c.next());
        if (!ch) throw new PodpathError('PP_PARSE', 'no such chain', { file, line: at });
        if (w === 'flush') ch.rules = [];
        else t.chains.delete(ch.name);
      } else if (w === 'delete') rs.tables = rs.tables.filter((x) => x !== t);
      else {
        for (const ch of t.chains.values()) ch.rules = [];
        for (const s of t.sets.values()) s.elements = [];
      }
    } else throw new PodpathError('PP_PARSE', `unknown command '${w}'`, { file, line: at });
  }
  validateRefs(rs);
  return rs;
}

/** A chain priority: a number, a standard name, or a name plus/minus a number (`dstnat - 10`). */
function priorityOf(words: string[], c: Cursor): number {
  const text = words.join('');
  const m = /^([a-z]+)?([+-]?\d+)?$/.exec(text);
  if (!m || (!m[1] && !m[2])) throw c.err(`bad priority '${words.join(' ')}'`);
  let v = 0;
  if (m[1]) {
    if (NAMED_PRIORITY[m[1]] === undefined) throw c.err(`unknown priority name '${m[1]}'`);
    v = NAMED_PRIORITY[m[1]]!;
  }
  return v + (m[2] ? Number(m[2]) : 0);
}
