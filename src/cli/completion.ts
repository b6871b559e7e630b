/**
 * Shell completion scripts for bash, zsh and fish, generated from the
 * command tree so they never drift from the commands and options podpath has.
 */
import type { Command } from 'commander';
import { PodpathError } from '../model/errors.js';

/** The shells `podpath completion` writes scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

interface Node { path: string[]; subcommands: string[]; options: string[] }

function tree(root: Command): Node[] {
  const out: Node[] = [];
  const visit = (c: Command, path: string[]) => {
    const options = c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
    out.push({ path, subcommands: c.commands.map((s) => s.name()), options: [...options, '--help'] });
    for (const s of c.commands) visit(s, [...path, s.name()]);
  };
  visit(root, []);
  return out;
}

/** The completion script for one shell. */
export function completionScript(root: Command, shell: string): string {
  const nodes = tree(root);
  switch (shell) {
    case 'bash':
      return bash(nodes);
    case 'zsh':
      return `#compdef podpath\n# podpath completion for zsh (uses bash completion emulation)\nautoload -U +X bashcompinit && bashcompinit\n${bash(nodes)}`;
    case 'fish':
      return fish(nodes);
    default:
      throw new PodpathError('PP_USAGE', `no completion for shell '${shell}'`, { hint: `choose one of ${SHELLS.join(', ')}` });
  }
}

function bash(nodes: Node[]): string {
  const cases = nodes.map((n) => `    '${n.path.join(' ')}') words='${[...n.subcommands, ...n.options].join(' ')}' ;;`);
  return [
    '# podpath completion for bash: source <(podpath completion bash)',
    '_podpath() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} path="" w i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    '    [[ $w == -* ]] && continue',
    '    case "${path:+$path }$w" in',
    ...nodes.filter((n) => n.path.length).map((n) => `      '${n.path.join(' ')}') path='${n.path.join(' ')}' ;;`),
    '    esac',
    '  done',
    '  local words=""',
    '  case "$path" in',
    ...cases,
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '  [[ ${#COMPREPLY[@]} -eq 0 && $cur != -* ]] && COMPREPLY=($(compgen -f -- "$cur"))',
    '  return 0',
    '}',
    'complete -o filenames -F _podpath podpath',
    '',
  ].join('\n');
}

function fish(nodes: Node[]): string {
  const lines = ['# podpath completion for fish: podpath completion fish > ~/.config/fish/completions/podpath.fish'];
  for (const n of nodes) {
    const cond = n.path.length ? `__fish_seen_subcommand_from ${n.path[n.path.length - 1]}` : '__fish_use_subcommand';
    for (const s of n.subcommands) lines.push(`complete -c podpath -n '${cond}' -a ${s}`);
    for (const o of n.options) lines.push(o.startsWith('--') ? `complete -c podpath -n '${cond}' -l ${o.slice(2)}` : `complete -c podpath -n '${cond}' -s ${o.slice(1)}`);
  }
  return `${lines.join('\n')}\n`;
}
