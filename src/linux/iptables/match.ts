/**
 * The match registry: every match kind podpath understands, keyed by kind
 * (`src`, `dst`, `in`, `out`, `proto`, `frag`, and `-m` module names), each
 * with a builder (rule text -> Match), a compiler (Match -> closure for the
 * walk, with a human reason when it fails) and a printer (Match -> canonical
 * iptables-save words).
 *
 * Guarantees: `compileMatch` and `saveMatch` never throw; a Match whose kind is
 * not registered, or that has `unknown` set, compiles to a closure that always
 * answers `unknown` — a rule is never silently skipped or taken.
 */
import type { Match } from './types.js';
import { GENERIC_KINDS, type GenericKind } from './match-generic.js';
import {
  compileUnknown, saveRawOptions, unknownModuleMatch, type CompiledMatch, type MatchModule, type ModuleUse,
} from './match-types.js';
import { PORT_MODULES } from './match-ports.js';
import { STATE_MODULES } from './match-state.js';
import { MISC_MODULES } from './match-misc.js';
import { quoteIfNeeded } from './tokenize.js';

/** Every `-m` module podpath reads, by name. */
export const MATCH_MODULES: Readonly<Record<string, MatchModule>> = { ...PORT_MODULES, ...STATE_MODULES, ...MISC_MODULES };

/** MATCH_MODULES by name: a Map look-up hashes a rule's word where a keyed look-up would intern it first. */
const MODULES_BY_NAME: ReadonlyMap<string, MatchModule> = new Map(Object.entries(MATCH_MODULES));

/** Modules only ip6tables loads (iptables does not know them). */
const IPV6_ONLY: ReadonlySet<string> = new Set(['icmp6']);

/**
 * The module named `name`, if podpath knows it; for reading a rule, `family`
 * says which tool's modules are there (`any` when compiling or printing a
 * Match already read).
 */
export function matchModule(name: string, family: 'ipv4' | 'ipv6' | 'any' = 'any'): MatchModule | undefined {
  if (family === 'ipv4' && IPV6_ONLY.has(name)) return undefined;
  return MODULES_BY_NAME.get(name);
}

/** True for the kinds of the generic options (`-s`, `-d`, `-i`, `-o`, `-p`, `-f`). */
export function isGenericKind(kind: string): kind is GenericKind {
  return Object.hasOwn(GENERIC_KINDS, kind);
}

/** The Match of a module podpath does not know: kept in place, always `unknown`. */
export function unknownModule(use: ModuleUse): Match {
  return unknownModuleMatch(use, `match module '${use.module}' is not known to podpath`);
}

/** Compiles a Match into the closure the walk calls. */
export function compileMatch(m: Match): CompiledMatch {
  if (m.unknown !== undefined) return compileUnknown(m);
  const handler = isGenericKind(m.kind) ? GENERIC_KINDS[m.kind] : matchModule(m.kind);
  return handler ? handler.compile(m) : compileUnknown(m);
}

/** The canonical iptables-save words of a Match (for modules: the words after `-m name`). */
export function saveMatch(m: Match): string[] {
  if (isGenericKind(m.kind)) {
    if (m.unknown !== undefined) {
      const flag = { src: '-s', dst: '-d', in: '-i', out: '-o', proto: '-p', frag: '-f' }[m.kind];
      return [...(m.negated ? ['!'] : []), flag, quoteIfNeeded(String(m.args['raw'] ?? ''))];
    }
    return GENERIC_KINDS[m.kind].save(m);
  }
  if (m.unknown !== undefined || !matchModule(m.kind)) return saveRawOptions(m);
  return matchModule(m.kind)!.save(m);
}
