/**
 * References nft refuses to load (nft -c -f fails with "No such file or
 * directory"): a jump, goto or verdict-map target that is not a chain of the
 * same table, or an `@set` that is not a set of the same table. Throws PP_PARSE
 * at the rule (or set) that refers.
 */
import { PodpathError } from '../../model/errors.js';
import type { NftElement, NftLoc, NftRuleset, NftStmt, NftTable, Right, Verdict } from './types.js';

function fail(loc: NftLoc, msg: string): never {
  throw new PodpathError('PP_PARSE', msg, { file: loc.file, ...(loc.line !== undefined ? { line: loc.line } : {}) });
}

function checkVerdict(t: NftTable, v: Verdict | undefined, loc: NftLoc): void {
  if (!v || (v.kind !== 'jump' && v.kind !== 'goto')) return;
  const target = t.chains.get(v.target ?? '');
  if (!target) fail(loc, `${v.kind} to undefined chain ${v.target} in table ${t.family} ${t.name}`);
  if (target.base) fail(loc, `${v.kind} to base chain ${v.target} (the kernel refuses jumps to base chains)`);
}

const elementVerdict = (e: NftElement): Verdict | undefined => (e.value && !Array.isArray(e.value) ? e.value : undefined);

function checkRight(t: NftTable, r: Right, loc: NftLoc): void {
  if ('ref' in r) {
    if (!t.sets.has(r.ref)) fail(loc, `undefined set @${r.ref} in table ${t.family} ${t.name}`);
  } else for (const e of r.elements) checkVerdict(t, elementVerdict(e), loc);
}

function checkStmt(t: NftTable, s: NftStmt, loc: NftLoc): void {
  if (s.kind === 'verdict') checkVerdict(t, s.verdict, loc);
  else if (s.kind === 'match') checkRight(t, s.right, loc);
  else if (s.kind === 'vmap') checkRight(t, s.map, loc);
  else if (s.kind === 'set-update' && !t.sets.has(s.set)) fail(loc, `undefined set @${s.set}`);
}

/**
 * Checks one rule's references against the table as it is now: an `add rule`
 * command may refer only to chains and sets added before it (nft resolves
 * them when the command is evaluated), while a `table { ... }` block declares
 * its chains first.
 */
export function validateRule(t: NftTable, stmts: NftStmt[], loc: NftLoc): void {
  for (const s of stmts) checkStmt(t, s, loc);
}

/** Checks elements added by `add element` against the chains that exist now. */
export function validateElements(t: NftTable, elements: NftElement[], loc: NftLoc): void {
  for (const e of elements) checkVerdict(t, elementVerdict(e), loc);
}

/** Checks every reference of every table. */
export function validateRefs(rs: NftRuleset): void {
  for (const t of rs.tables) {
    for (const ch of t.chains.values()) for (const r of ch.rules) for (const s of r.stmts) checkStmt(t, s, r.loc);
    for (const s of t.sets.values()) for (const e of s.elements) checkVerdict(t, elementVerdict(e), s.loc);
  }
}
