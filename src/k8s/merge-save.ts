/**
 * Merges iptables-save texts that podpath derived for one node (kube-proxy's
 * rules from Services, a CNI profile's nat rules) into one dump, as both
 * programs write into the same tables of a real node: per table, the chain
 * declarations of all texts (the first policy of a built-in chain wins) and
 * then the rules of each text in order. kube-proxy comes first: it prepends
 * its jumps to the built-in chains (pkg/proxy/iptables/proxier.go, EnsureRule
 * with Prepend), so they precede the CNI's.
 *
 * Guarantees: pure; a table present in one text only is kept as it is; no
 * rule is dropped or reordered within its own text.
 */

interface TableParts {
  chains: string[];
  rules: string[];
}

function tables(text: string): Map<string, TableParts> {
  const out = new Map<string, TableParts>();
  let cur: TableParts | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      cur = out.get(name) ?? { chains: [], rules: [] };
      out.set(name, cur);
    } else if (cur && line.startsWith(':')) cur.chains.push(line);
    else if (cur && (line.startsWith('-A ') || line.startsWith('-I '))) cur.rules.push(line);
  }
  return out;
}

/** One iptables-save text holding every table, chain and rule of `texts`, in order. */
export function mergeIptablesSave(texts: readonly string[]): string {
  const merged = new Map<string, TableParts>();
  for (const t of texts) {
    for (const [name, parts] of tables(t)) {
      const m = merged.get(name) ?? { chains: [], rules: [] };
      for (const c of parts.chains) {
        const chain = c.slice(1).split(' ')[0];
        if (!m.chains.some((x) => x.slice(1).split(' ')[0] === chain)) m.chains.push(c);
      }
      m.rules.push(...parts.rules);
      merged.set(name, m);
    }
  }
  return [...merged].map(([name, p]) => [`*${name}`, ...p.chains, ...p.rules, 'COMMIT'].join('\n')).join('\n') + '\n';
}
