/**
 * iptables rule sets as parsed from `iptables-save` text.
 *
 * Netfilter hook order (what `walkHook` runs for each hook):
 * ```
 *  in ──► PREROUTING ──► routing ──► FORWARD ──► POSTROUTING ──► out
 *         raw,mangle,nat     │        mangle,filter   mangle,nat
 *                            ▼                            ▲
 *                          INPUT                        OUTPUT ◄── routing ◄── local process
 *                     mangle,filter,nat(SNAT)      raw,mangle,nat,filter
 * ```
 * The nat table is consulted only for the first packet of a connection
 * (conntrack state NEW); later packets and replies get the NAT that conntrack
 * recorded (see linux/conntrack.ts), per the kernel's nf_nat design.
 */
import type { Packet } from '../../net/packet.js';
import type { IpSet } from '../ipset/ipset-save.js';
import type { Ipv4 } from '../../net/ipv4.js';
import type { SourceLoc } from '../../model/source.js';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type HookName = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** A parse problem (the shared model type). Errors make the dump unusable; warnings leave a usable rule set. */
export type { Diagnostic } from '../../model/diagnostic.js';

/** One parsed match (`-s`, `-m addrtype --dst-type LOCAL`, ...). */
export interface Match {
  /** Module or option family: 'src', 'dst', 'in', 'out', 'proto', 'tcp', 'udp', 'comment', ... */
  kind: string;
  /** `!` given. */
  negated: boolean;
  /**
   * The option text as written, for reports (`! -d 10.0.0.0/8`, `-d ! 10.0.0.0/8`); a module's
   * option is prefixed by its `-m name` (`-m udp --dport 53`) so it reads on its own.
   */
  text: string;
  /** Kind-specific parsed arguments. */
  args: Record<string, unknown>;
  /** Set when podpath does not understand this match: the rule's outcome is then `unknown`. */
  unknown?: string;
  /**
   * Which `-m` of the rule this option belongs to (0-based ordinal), so a rule
   * with two `-m addrtype` keeps them apart. Absent for the generic options
   * (`-s`, `-d`, `-i`, `-o`, `-p`, `-f`).
   */
  instance?: number;
}

/** A parsed target (`-j`/`-g`). */
export interface Target {
  /** ACCEPT, DROP, REJECT, RETURN, MASQUERADE, SNAT, DNAT, MARK, LOG, ..., or a user chain name. */
  name: string;
  /** `-g` (goto) rather than `-j`. */
  goto: boolean;
  text: string;
  args: Record<string, unknown>;
  /** Set when podpath does not understand this target. */
  unknown?: string;
}

/** A rule line `-A CHAIN ...`. */
export interface Rule {
  chain: string;
  /** Position within the chain, 1-based (as `iptables -L --line-numbers`). */
  num: number;
  loc: SourceLoc;
  /** The rule line as written. */
  text: string;
  matches: Match[];
  /** Absent for a rule with no target (legal: it only counts packets). */
  target?: Target;
  /** `[pkts:bytes]` counters when the dump has them. */
  counters?: { packets: number; bytes: number };
}

export interface Chain {
  name: string;
  builtin: boolean;
  /** Policy of a built-in chain. */
  policy?: 'ACCEPT' | 'DROP';
  /**
   * Set when the built-in chain was declared with policy `-` (`:INPUT - [0:0]`):
   * iptables-restore then leaves the policy as it was, and `policy` is the
   * ACCEPT of a new table, an assumption the walk states when the policy decides.
   */
  policyKept?: true;
  loc: SourceLoc;
  rules: Rule[];
  /** `[packets:bytes]` of the chain declaration (built-in chains' policy counters). */
  counters?: { packets: number; bytes: number };
}

export interface Table {
  name: TableName;
  chains: Map<string, Chain>;
}

/** A parsed dump. `derived` marks a rule set podpath made up (e.g. an empty default), not read. */
export interface Ruleset {
  tables: Map<TableName, Table>;
  file: string;
  derived?: string;
  /** `ipv6` for ip6tables rules (`ip6tables-save`); absent for iptables (IPv4). Traces are IPv4 only. */
  family?: 'ipv6';
}

/** What the walk needs to know about the node it runs on. */
export interface NetfilterContext {
  /** Interface the packet came in on (PREROUTING, INPUT, FORWARD). */
  inIface?: string;
  /** Interface the packet leaves on (FORWARD, OUTPUT, POSTROUTING). */
  outIface?: string;
  /**
   * True when the address is local to the node (addrtype LOCAL); undefined when
   * that is not known (e.g. a single dump without the node's addresses), which
   * makes `-m addrtype` answer `unknown`.
   */
  isLocal: (ip: Ipv4) => boolean | undefined;
  /** Primary address of an interface, for MASQUERADE. */
  ifaceAddress: (iface: string) => Ipv4 | undefined;
  /**
   * The source address the kernel picks for a packet leaving by an interface
   * that holds no IPv4 address (a VPC CNI pod's host-side veth): the first
   * scope-global primary address of another device (net/ipv4/devinet.c
   * inet_select_addr, which MASQUERADE calls). Undefined when the interface's
   * addresses are not known.
   * @default not known: MASQUERADE out such an interface answers unknown
   */
  fallbackSource?: (iface: string) => Ipv4 | undefined;
  /**
   * The interface whose local-table route holds a local address (`local
   * 172.31.0.225 dev eth0 table local`), for `-m addrtype --limit-iface-in/out`.
   * @default not known: such matches on a local address answer unknown
   */
  localDevice?: (ip: Ipv4) => string | undefined;
  /** conntrack state of the packet. */
  ctState: 'NEW' | 'ESTABLISHED' | 'RELATED';
  /**
   * conntrack status bits for `--ctstate SNAT/DNAT` (the connection's original
   * destination/source differs from the reply's). A NAT applied earlier in the
   * same walk sets them. @default for NEW packets: snat false, dnat false in
   * PREROUTING/OUTPUT (before any NAT); otherwise unknown, and such matches give `unknown`
   */
  ctStatus?: { dnat?: boolean; snat?: boolean };
  /**
   * The connection's mark (ctmark) for `-m connmark` and `CONNMARK --restore-mark`.
   * @default 0 for NEW connections (a fresh conntrack entry), otherwise unknown
   */
  connmark?: number;
  /** The node's ipsets (`ipset save`), for `-m set`. @default not known: `-m set` answers unknown */
  ipsets?: ReadonlyMap<string, IpSet>;
  /** The connection's tuples, for `-m conntrack --ctorig*`/`--ctrepl*`/`--ctdir`. @default not known: those answer unknown */
  conn?: ConnTuples;
}

/**
 * A connection as conntrack holds it: the original-direction tuple, the reply
 * tuple it expects (with the NAT decided so far), and which way this packet goes.
 */
export interface ConnTuples {
  original: Packet;
  reply: Packet;
  dir: 'ORIGINAL' | 'REPLY';
}

/** A rule that nearly decided: every match but one held. */
export interface NearMiss {
  rule: Rule;
  /** Which match failed and why, e.g. "! -d 10.0.0.0/8: 10.0.18.52 is inside 10.0.0.0/8". */
  failed: string;
}

/** The NAT a chain walk applied. */
export interface NatApplied {
  kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  rule: Rule;
}

/** The outcome of walking one table's chain for one hook. */
export interface TableOutcome {
  table: TableName;
  chain: string;
  /** ACCEPT (or fell through to policy ACCEPT), DROP, REJECT, or unknown. */
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';
  /** The rule that decided; absent when the built-in chain's policy decided. */
  rule?: Rule;
  /** Packet after this table (NAT may have changed it). */
  packet: Packet;
  nat?: NatApplied;
  /** Firewall mark after this table. */
  mark: number;
  /** What was not understood, when verdict is unknown. */
  unknown?: { rule: Rule; construct: string };
  nearMisses: NearMiss[];
  /** Rules that matched and did not end the walk (jumps, MARK, LOG...), in order. */
  matched: Rule[];
  /** Probability of this branch (1 unless a -m statistic rule forked the walk). */
  probability: number;
  /** Connection mark after this table, when known. */
  connmark?: number;
  /** Assumptions and effects worth telling the reader (e.g. "-m limit assumed not exceeded"). */
  notes?: string[];
}

/** The outcome of walking one chain on its own (`walkChain`): a user chain may also fall off its end. */
export interface ChainOutcome extends Omit<TableOutcome, 'verdict'> {
  /** As TableOutcome, plus RETURN: the chain returned (or ended) without a verdict. */
  verdict: TableOutcome['verdict'] | 'RETURN';
}

/** The outcome of one hook: tables in kernel order; stops at the first non-ACCEPT. */
export interface HookOutcome {
  hook: HookName;
  tables: TableOutcome[];
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'unknown';
  packet: Packet;
  mark: number;
  probability: number;
  /** Connection mark after the hook, when known. */
  connmark?: number;
  /** Tables of this hook that the rule set does not contain (not walked; the caller decides what that means). */
  missingTables?: TableName[];
  /** Tables skipped on purpose, e.g. nat for a packet that is not NEW. */
  skippedTables?: { table: TableName; why: string }[];
  /**
   * The rewrite conntrack applied to a packet of a tracked connection at the
   * nat table's priority (after mangle and the tables before nat), when it
   * changed the packet: `destination` undoes SNAT on a reply, `source` undoes DNAT.
   */
  conntrackNat?: { manip: 'source' | 'destination'; before: Packet; after: Packet };
}
