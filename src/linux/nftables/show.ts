/**
 * Renders model statements back in nft's text syntax, for rules read from
 * JSON (which carry no text) and for reports.
 */
import { formatIpv4 } from '../../net/ipv4.js';
import type { Left, NftElement, NftRule, NftStmt, Right, Verdict } from './types.js';
import { showAtom, typeOf } from './values.js';

const showVerdict = (v: Verdict): string => (v.target !== undefined ? `${v.kind} ${v.target}` : v.kind);

function showLeft(l: Left): string {
  const sels = l.sels.map((s) => (s.key === 'numgen' ? `numgen random mod ${s.mod}${s.offset ? ` offset ${s.offset}` : ''}` : s.key)).join(' . ');
  return sels + (l.ops ?? []).map((o) => ` ${o.op} 0x${o.value.toString(16)}`).join('');
}

function showElement(e: NftElement, types: string[]): string {
  const key = e.key.map((a, i) => showAtom(a, types[i])).join(' . ');
  const c = e.comment !== undefined ? ` comment "${e.comment}"` : '';
  const v = e.value === undefined ? '' : Array.isArray(e.value) ? ` : ${e.value.map((a) => showAtom(a)).join(' . ')}` : ` : ${showVerdict(e.value)}`;
  return key + c + v;
}

function showRight(r: Right, types: string[]): string {
  if ('ref' in r) return `@${r.ref}`;
  if (r.elements.length === 1 && r.elements[0]!.value === undefined) return showElement(r.elements[0]!, types);
  return `{ ${r.elements.map((e) => showElement(e, types)).join(', ')} }`;
}

/** One statement in nft syntax. */
export function showStmt(s: NftStmt): string {
  switch (s.kind) {
    case 'match': {
      const types = s.left.sels.map((x) => (s.left.ops ? 'mark' : typeOf(x.key)));
      return `${showLeft(s.left)} ${s.op === '!=' ? '!= ' : ''}${showRight(s.right, types)}`;
    }
    case 'vmap': return `${showLeft(s.left)} vmap ${showRight(s.map, s.left.sels.map((x) => typeOf(x.key)))}`;
    case 'verdict': return showVerdict(s.verdict);
    case 'nat': {
      const to = s.addr !== undefined || s.port !== undefined ? ` to ${s.addr !== undefined ? formatIpv4(s.addr) : ''}${s.port !== undefined ? `:${s.port}` : ''}` : '';
      return `${s.type}${to}${s.flags?.length ? ` ${s.flags.join(',')}` : ''}`;
    }
    case 'mangle': {
      const from = s.from === 'const' ? `0x${s.value.toString(16)}` : s.from;
      return `${s.target} set ${from}${s.ops.map((o) => ` ${o.op} 0x${o.value.toString(16)}`).join('')}`;
    }
    case 'counter': return 'counter';
    case 'log': return 'log';
    case 'set-update': return `update @${s.set}`;
    case 'unknown': return s.construct;
  }
}

/** A rule in nft syntax (with its comment). */
export function showRule(r: NftRule): string {
  return r.stmts.map(showStmt).join(' ') + (r.comment !== undefined ? ` comment "${r.comment}"` : '');
}
