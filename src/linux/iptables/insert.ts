/**
 * `iptables -I`: inserts a rule into a parsed rule set, returning a new rule
 * set (the input is not changed). Used for what-ifs and proposed fixes; the
 * inserted rule's location is its label, so traces name it.
 */
import { PodpathError } from '../../model/errors.js';
import { parseIptablesSave } from './parse.js';
import { ChainOverlay } from './chain-overlay.js';
import type { Chain, Rule, Ruleset, Table, TableName } from './types.js';

/** A rule to insert, as `iptables -t table -I chain position rule`. */
export interface RuleInsert {
  table: TableName;
  chain: string;
  position: number;
  rule: string;
  label: string;
}

/** The rule set with `ins` applied in order. Throws PP_PARSE when a rule does not parse. */
export function insertRules(rs: Ruleset, ins: readonly RuleInsert[]): Ruleset {
  if (ins.length === 0) return rs;
  // Only the chains inserted into change: the rest are read through from the input (ChainOverlay).
  const tables = new Map<TableName, Table>([...rs.tables].map(([k, t]) => [k, { ...t, chains: new ChainOverlay(t.chains) }]));
  for (const i of ins) {
    const table = tables.get(i.table) ?? { name: i.table, chains: new Map<string, Chain>() };
    tables.set(i.table, table);
    const chain = table.chains.get(i.chain) ?? builtinChain(i.chain, i.label);
    // Declare the chains the rule names (its -j/-g target), so it may jump to any of them (iptables-restore
    // needs them declared); only those: a kube-proxy nat table has thousands.
    const named = [...new Set(i.rule.split(/\s+/))].map((w) => (w === i.chain ? undefined : table.chains.get(w))).filter((c) => c !== undefined);
    const decls = named.map((c) => `:${c.name} ${c.builtin ? 'ACCEPT' : '-'} [0:0]\n`);
    const rule = parseOne(i, `${decls.join('')}${chain.builtin ? '' : `:${i.chain} - [0:0]\n`}`);
    const rules = [...chain.rules];
    rules.splice(Math.min(i.position - 1, rules.length), 0, rule);
    table.chains.set(i.chain, { ...chain, rules: rules.map((r, n) => ({ ...r, num: n + 1 })) });
  }
  return { ...rs, tables };
}

const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);

function builtinChain(name: string, label: string): Chain {
  if (!BUILTIN.has(name)) throw new PodpathError('PP_SCHEMA', `${label}: chain ${name} does not exist in the rule set`);
  return { name, builtin: true, policy: 'ACCEPT', loc: { file: label, line: 1 }, rules: [] };
}

function parseOne(i: RuleInsert, decl: string): Rule {
  const chainDecl = BUILTIN.has(i.chain) ? `${decl}:${i.chain} ACCEPT [0:0]\n` : decl;
  const text = `*${i.table}\n${chainDecl}-A ${i.chain} ${i.rule}\nCOMMIT\n`;
  const parsed = parseIptablesSave({ text, file: i.label, firstLine: 1 });
  const err = parsed.diagnostics.find((d) => d.severity === 'error');
  const rule = parsed.value.tables.get(i.table)?.chains.get(i.chain)?.rules[0];
  if (err || !rule) throw new PodpathError('PP_PARSE', `${i.label}: cannot read rule '${i.rule}'${err ? `: ${err.message}` : ''}`);
  return { ...rule, loc: { file: i.label, line: 1 }, text: `-I ${i.chain} ${i.position} ${i.rule}` };
}
