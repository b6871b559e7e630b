/**
 * Reads one snapshot node folder (`nodes/<name>/`, docs/snapshot.md) for
 * `podpath iptables trace --node DIR`: the iptables dump, and where present
 * the node's addresses (`ip-addr.txt`), routes (`ip-route.txt`, `ip route show
 * table all`), policy rules (`ip-rule.txt`) and ipsets (`ipset-save.txt`).
 * What is absent is listed, so the command can say so up front.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PodpathError } from '../model/errors.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { parseIpAddr, type IpAddrIface } from '../linux/ip-addr.js';
import { parseIpRoute, type RouteEntry } from '../linux/route/ip-route.js';
import { parseIpRule, type PolicyRule } from '../linux/route/ip-rule.js';
import { unreadable } from './unreadable.js';

/** What a node folder holds. */
export interface NodeFolder {
  dir: string;
  iptablesFile: string;
  /** `ipset-save.txt` when present. */
  ipsetFile?: string;
  /** `nft-ruleset.json` (preferred) or `nft-ruleset.txt` when present: native nftables chains. */
  nftFile?: string;
  interfaces?: IpAddrIface[];
  routes?: RouteEntry[];
  rules?: PolicyRule[];
  /** The files the folder lacks, with what each would have told. */
  missing: string[];
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new PodpathError('PP_MISSING_INPUT', `cannot read: ${unreadable(e)}`, { file });
  }
}

function firstError(diagnostics: Diagnostic[]): void {
  const d = diagnostics.find((x) => x.severity === 'error');
  if (d) throw new PodpathError('PP_PARSE', d.message, { file: d.file, line: d.line });
}

/** Reads the folder; throws PodpathError when it is not a folder or lacks iptables-save.txt. */
export function readNodeFolder(dir: string): NodeFolder {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw new PodpathError('PP_MISSING_INPUT', `not a node folder: ${unreadable(e)}`, { file: dir });
  }
  if (!isDir) throw new PodpathError('PP_USAGE', 'not a node folder (give a snapshot\'s nodes/<name>/ folder)', { file: dir });
  const iptablesFile = join(dir, 'iptables-save.txt');
  if (!existsSync(iptablesFile)) throw new PodpathError('PP_MISSING_INPUT', 'the node folder has no iptables-save.txt', { file: dir });
  const out: NodeFolder = { dir, iptablesFile, missing: [] };
  const at = (name: string) => (existsSync(join(dir, name)) ? join(dir, name) : undefined);
  /** The file read with its parser; its first error thrown. */
  const parsed = <T>(file: string, parse: (src: { text: string; file: string }) => { value: T; diagnostics: Diagnostic[] }): T => {
    const p = parse({ text: read(file), file });
    firstError(p.diagnostics);
    return p.value;
  };
  const addr = at('ip-addr.txt');
  if (addr) out.interfaces = parsed(addr, parseIpAddr);
  else out.missing.push('ip-addr.txt (the node\'s addresses)');
  const route = at('ip-route.txt');
  if (route) out.routes = parsed(route, parseIpRoute);
  else out.missing.push('ip-route.txt (routes: the out interface)');
  const rule = at('ip-rule.txt');
  if (rule) out.rules = parsed(rule, parseIpRule);
  else if (route) out.missing.push('ip-rule.txt (policy rules: the kernel\'s defaults assumed)');
  const ipset = at('ipset-save.txt');
  if (ipset) out.ipsetFile = ipset;
  const nft = at('nft-ruleset.json') ?? at('nft-ruleset.txt');
  if (nft) out.nftFile = nft;
  return out;
}
