/**
 * `iptables-restore --noflush`: what the kernel holds after a restore input is
 * loaded on top of rules already there (kube-proxy loads its rules this way,
 * after installing its jump rules from the built-in chains).
 *
 * As iptables-restore does it (checked against the kernel in
 * test/linux/iptables/restore.test.ts):
 * - tables the input does not name are left alone;
 * - a user chain the input declares (`:NAME -`) is flushed, or created, and
 *   gets the input's rules; user chains it does not declare keep their rules;
 * - a built-in chain is never flushed: the input's rules are appended after
 *   the ones there; its policy changes only when declared ACCEPT or DROP
 *   (`-` keeps it).
 *
 * Pure: returns a new rule set; neither input is changed. Rules keep their
 * source locations, so a trace names the file each rule came from.
 */
import type { Chain, Ruleset, Table, TableName } from './types.js';

/** The rule set after `overlay` is restored with `--noflush` on top of `base`. */
export function restoreNoflush(base: Ruleset, overlay: Ruleset): Ruleset {
  const tables = new Map<TableName, Table>(base.tables);
  for (const [name, over] of overlay.tables) {
    const under = base.tables.get(name);
    if (!under) {
      tables.set(name, over);
      continue;
    }
    const chains = new Map<string, Chain>(under.chains);
    for (const [chainName, c] of over.chains) {
      const was = under.chains.get(chainName);
      if (!c.builtin || !was) {
        chains.set(chainName, c);
        continue;
      }
      const rules = [...was.rules, ...c.rules].map((r, i) => ({ ...r, num: i + 1 }));
      const setsPolicy = c.policy !== undefined && !c.policyKept;
      chains.set(chainName, { ...was, rules, ...(setsPolicy ? { policy: c.policy, loc: c.loc } : {}) });
    }
    tables.set(name, { name, chains });
  }
  const derived = [base.derived, overlay.derived].filter(Boolean).join('; ');
  return { tables, file: `${base.file} + ${overlay.file}`, ...(derived ? { derived } : {}), ...(base.family ? { family: base.family } : {}) };
}
