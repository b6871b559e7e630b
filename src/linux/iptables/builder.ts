/**
 * Builds a Ruleset line by line with iptables-restore's rules, collecting
 * diagnostics instead of failing. Shared by the iptables-save reader
 * (parse.ts) and the `iptables -S` reader (listing.ts).
 *
 * What iptables-restore requires, and what is reported when it is not met
 * (iptables-restore.c / libiptc):
 * - a table opens with `*name`, closes with COMMIT; a table without COMMIT is
 *   never applied (error: truncated dump). A table named twice is flushed
 *   and replaced by the later block (warning).
 * - built-in chains always exist; `:CHAIN POLICY` sets their policy (ACCEPT or
 *   DROP; `-` keeps the policy the chain had, read as a new table's ACCEPT and
 *   marked `policyKept`). A built-in chain that is never declared keeps whatever policy the
 *   kernel had: podpath leaves `policy` undefined (warning) and a walk that
 *   falls through to it answers unknown. Exception: a nat table without
 *   `:INPUT` and without INPUT rules comes from a kernel before 2.6.36, whose
 *   nat table has no INPUT hook; the chain is left out (not walked).
 * - a user chain must be declared (`:NAME -`) before a rule is appended to it
 *   and before a rule jumps to it: `-A` to an undeclared chain fails with "No
 *   chain/target/match by that name", and `-j NAME` to a chain that does not
 *   exist yet fails with "Couldn't load target" — even when `:NAME` follows
 *   later in the same table. Declarations may otherwise be interleaved with
 *   rules (the EDGE-manual-dnat corpus file does this and restores fine).
 * - declaring a chain twice fails ("Chain already exists"); chain names are at
 *   most 28 characters; the kernel rejects jump loops (ELOOP).
 *
 * Guarantees: never throws; every rule line that names a chain ends up in the
 * Ruleset (in an implicitly created chain when the chain was not declared), so
 * a caller can still walk a dump that has errors, at its own risk.
 */
import type { SourceLoc } from '../../model/source.js';
import type { Token } from './tokenize.js';
import type { Chain, Diagnostic, Rule, Ruleset, Table, TableName } from './types.js';
import { parseRuleWords, type ParsedRule, type RuleContext } from './rule-parse.js';
import type { CachedRuleLine, ChainAnswer, ParseCache, SplitDump } from './parse-cache.js';
import { ParsedChain, RuleLines } from './parsed-chain.js';
import { CHAIN, NOTHING, OTHER, RULE, type ReplayLog } from './replay-log.js';

/** Built-in chains of each table (the hooks it registers). */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly string[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** True for a table name iptables knows. */
export function isTableName(name: string): name is TableName {
  return Object.hasOwn(BUILTIN_CHAINS, name);
}

interface OpenTable {
  table: Table;
  /** The table's chains (all made by this builder). */
  chains: Map<string, ParsedChain>;
  /** The same chains in the order made (a ReplayLog names a chain by its place here), and those places when recording one. */
  made: ParsedChain[];
  ids?: Map<ParsedChain, number>;
  line: number;
  /**
   * Which chains are declared: a declared chain's `loc` is its declaration. User chains made by a rule before
   * (or without) their declaration are listed until declared; built-in chains once declared.
   */
  undeclared: Set<string>;
  builtinDeclared: Set<string>;
  /** Rules (chain and 1-based number) whose jump target was not a chain when they were read. */
  pending: { chain: ParsedChain; num: number; name: string }[];
  /** What the rule reader reports through, made once per table; `at` is the rule being read. */
  rules: RuleContext;
  at: { line: number; text: string };
  /** The chain the previous rule went to. */
  last?: ParsedChain;
  /** This table's memo of line parses, when the caller passed a ParseCache. */
  memo?: Map<string, CachedRuleLine>;
  /** While a line is parsed for the memo: what the parse reports and the chain look-ups it makes. */
  rec: { reports?: CachedRuleLine['reports'][number][]; lookups?: (string | ChainAnswer)[] };
  /** A jump of this table is not known from a loop-free table of the reference dump: the loop check must run. */
  novel: boolean;
  /** The memoised jumps of this table, when this dump becomes the reference. */
  jumps?: CachedRuleLine[];
}

/** The reports of a memoised line that reported nothing (most lines): one array for all. */
const NO_REPORTS: CachedRuleLine['reports'] = Object.freeze([]);

const answerOf = (c: Chain | undefined): ChainAnswer => (c === undefined ? 0 : c.builtin ? 2 : 1);

/** Line-by-line Ruleset construction with iptables-restore's checks. */
export class RulesetBuilder {
  readonly diagnostics: Diagnostic[] = [];
  private readonly tables = new Map<TableName, Table>();
  private open: OpenTable | undefined;
  /** What the chains' Rules are made of, until read (see parsed-chain.ts). */
  private readonly lines: RuleLines;
  /** Inside an unknown table: lines are skipped until COMMIT. */
  private skipping = false;

  /** `cache`: rule-line parses shared with other dumps (see parse-cache.ts). */
  constructor(readonly file: string, readonly family?: 'ipv6', private readonly cache?: ParseCache) {
    this.lines = new RuleLines(file);
  }

  /** The reference dump the lines are read against (0: none), and the id this dump gets as the new reference (0: none). */
  private reference = { id: 0, becomes: 0 };
  /** Loop-free tables of this dump with their memoised jumps, for stamping when it becomes the reference. */
  private loopFree: { name: TableName; jumps: CachedRuleLine[] }[] = [];
  private tableCount = new Map<TableName, number>();
  /** What the line being read did, for a ReplayLog: its kind, the chain it made or added to, the diagnostics before it. */
  private effect = OTHER;
  private effectChain: ParsedChain | undefined = undefined;
  private effectEntry = 0;
  private diagnosticsBefore = 0;
  /** Views of the reference's RuleLines by line shift (see `replay`). */
  private readonly views = new Map<number, RuleLines>();
  /** The index of the last line `replay` replayed that is not blank or a comment (-1: none). */
  replayedLast = -1;

  /** Sets the reference dump of a ParseCache split (see parse-cache.ts). */
  readAgainst(id: number, becomes: number): void {
    this.reference = { id, becomes };
  }

  /** Records a diagnostic. */
  report(severity: Diagnostic['severity'], line: number, text: string, message: string): void {
    this.diagnostics.push({ severity, file: this.file, line, text, message });
  }

  /** True while a table (known or not) is open. */
  get inTable(): boolean {
    return this.open !== undefined || this.skipping;
  }

  /** True while lines are being skipped inside an unknown table. */
  get isSkipping(): boolean {
    return this.skipping;
  }

  /** The table being read, if any (for readers that amend the rule just added). */
  currentTable(): Table | undefined {
    return this.open?.table;
  }

  private loc(line: number): SourceLoc {
    return { file: this.file, line };
  }

  /** `*name`. */
  openTable(name: string, line: number, text: string): void {
    if (this.inTable) this.missingCommit(line, text, `a new table starts at line ${line}`);
    if (!isTableName(name)) {
      this.report('error', line, text, `unknown table '${name}' (raw, mangle, nat, filter, security); its lines are skipped`);
      this.skipping = true;
      return;
    }
    if (this.tables.has(name)) {
      this.report('warning', line, text, `table ${name} appears again: iptables-restore flushes it and applies this block instead`);
    }
    const chains = new Map<string, ParsedChain>();
    const table: Table = { name, chains };
    const made: ParsedChain[] = [];
    for (const c of BUILTIN_CHAINS[name]) {
      const chain = new ParsedChain(c, true, this.loc(line), this.lines);
      chains.set(c, chain);
      made.push(chain);
    }
    this.tables.set(name, table);
    const at = { line, text };
    const rec: OpenTable['rec'] = {};
    const rules: RuleContext = {
      table: name,
      error: (m) => {
        rec.reports?.push({ severity: 'error', message: m });
        this.report('error', at.line, at.text, m);
      },
      warn: (m) => {
        rec.reports?.push({ severity: 'warning', message: m });
        this.report('warning', at.line, at.text, m);
      },
      chain: (n) => {
        const c = chains.get(n);
        rec.lookups?.push(c ? c.name : n, answerOf(c)); // the chain's own name string: later look-ups compare by identity
        return c;
      },
      ...(this.family ? { family: this.family } : {}),
    };
    this.open = { table, chains, made, line, undeclared: new Set(), builtinDeclared: new Set(), pending: [], rules, at, rec, novel: this.reference.id === 0 };
    this.tableCount.set(name, (this.tableCount.get(name) ?? 0) + 1);
    if (this.cache) this.open.memo = this.cache.linesOf(name, this.family);
    if (this.reference.becomes) {
      this.open.jumps = [];
      this.open.ids = new Map(made.map((c, i) => [c, i]));
    }
  }

  /** `:NAME POLICY [p:b]` (or `-P` / `-N` from a listing). */
  declareChain(name: string, policy: string, line: number, text: string, counters?: Chain['counters']): void {
    const open = this.open;
    if (!open) return this.outside(line, text);
    const existing = open.chains.get(name);
    const prev = existing && declaredAt(open, existing);
    if (prev !== undefined) return this.report('error', line, text, `chain ${name} is already declared at line ${prev}`);
    if (existing?.builtin) {
      open.builtinDeclared.add(name);
      if (policy === '-') {
        // iptables-restore sets a built-in chain's policy only when it is not '-'. A new table's policy is ACCEPT
        // (iptables-nft recreates the table on a flushing restore); iptables-legacy keeps an earlier one.
        existing.policy = 'ACCEPT';
        existing.policyKept = true;
        this.report('warning', line, text, `built-in chain ${name} declared with policy '-': iptables-restore keeps the policy it had; read as ACCEPT, a new table's policy (assumed)`);
      } else if (policy !== 'ACCEPT' && policy !== 'DROP') {
        this.report('error', line, text, `built-in chain ${name} needs policy ACCEPT, DROP or '-', not '${policy}'`);
      } else {
        existing.policy = policy;
        delete existing.policyKept;
      }
      existing.loc = this.loc(line);
      if (counters) existing.counters = counters;
      return;
    }
    if (policy !== '-') this.report('error', line, text, `user chain ${name} cannot have a policy ('${policy}'); write '-'`);
    if (name.length > 28) this.report('error', line, text, `chain name ${name} is longer than 28 characters`);
    if (name.startsWith('-') || name === '!') this.report('error', line, text, `'${name}' is not a valid chain name`);
    if (existing) {
      existing.loc = this.loc(line); // declared after rules were appended to it (already reported)
      open.undeclared.delete(name);
      return;
    }
    this.effectChain = this.addChain(open, new ParsedChain(name, false, this.loc(line), this.lines, counters));
    this.effect = CHAIN;
  }

  /** Adds a chain made for the open table. */
  private addChain(open: OpenTable, chain: ParsedChain): ParsedChain {
    open.chains.set(chain.name, chain);
    open.ids?.set(chain, open.made.length);
    open.made.push(chain);
    return chain;
  }

  /**
   * `-A CHAIN words...` (the rule's words are `words[first..end)`). With `memoKey`
   * (the line, when it is a plain `-A` line) and a ParseCache, the parse is
   * stored for later dumps and returned.
   */
  addRule(chainName: string, words: Token[], line: number, text: string, counters?: Rule['counters'], first = 0, memoKey?: string, end = words.length): CachedRuleLine | undefined {
    const open = this.open;
    if (!open) return this.outside(line, text);
    const chain = this.chainFor(open, chainName, line, text);
    open.at.line = line;
    open.at.text = text;
    const memo = memoKey === undefined ? undefined : open.memo;
    if (memo) {
      open.rec.reports = [];
      open.rec.lookups = [];
    }
    const parsed = parseRuleWords(words, text, open.rules, first, end);
    let entry: CachedRuleLine | undefined;
    if (memo) {
      Object.freeze(parsed.matches);
      const t = parsed.target;
      const jump = t !== undefined && t.unknown === undefined && open.chains.get(t.name)?.builtin === false;
      // Kept per line for the run: an empty list shares one array, a pushed-to one is copied to its exact length.
      const reports = open.rec.reports!.length === 0 ? NO_REPORTS : open.rec.reports!;
      const lookups = open.rec.lookups!.slice();
      entry = { chain: chain.name, parsed, reports, lookups, jump, loopFreeIn: 0 };
      this.cache!.store(memo, memoKey!, entry);
      open.rec.reports = open.rec.lookups = undefined;
      this.noteJump(open, entry);
    } else if (parsed.target) open.novel = true;
    this.append(open, chain, parsed, line, text, counters);
    if (!entry) this.effect = OTHER; // not memoised: nothing to replay
    return entry;
  }

  /**
   * A plain `-A` line read from the ParseCache: the parse used when the line
   * was parsed before in this table, with the same chains in reach, and is
   * now added; undefined when the caller must read it (then with `memoKey`).
   * `known`: the parse the line had in the reference dump, where the builder
   * is known to be in the state it was in there (no look-up, no check).
   */
  addMemoisedRule(text: string, line: number, known?: CachedRuleLine): CachedRuleLine | undefined {
    const open = this.open;
    if (!open) return undefined;
    let hit = known;
    if (!hit) {
      hit = open.memo?.get(text);
      if (!hit) return undefined;
    }
    const chain = this.chainFor(open, hit.chain, line, text);
    if (!known) {
      const chains = open.chains;
      const lookups = hit.lookups;
      // A look-up answered differently here (e.g. the jump target is not a chain in this dump): the caller reads the line.
      for (let i = 0; i < lookups.length; i += 2) if (answerOf(chains.get(lookups[i] as string)) !== lookups[i + 1]) return undefined;
    }
    for (const r of hit.reports) this.report(r.severity, line, text, r.message);
    this.cache!.hits++;
    this.noteJump(open, hit);
    this.append(open, chain, hit.parsed, line, text, undefined);
    return hit;
  }

  /**
   * A memoised rule's jump: novel unless the reference dump had it in a loop-free table of this name (then the
   * table's jumps are a subset of that table's, and so loop-free too); kept for stamping when this dump becomes the reference.
   */
  private noteJump(open: OpenTable, entry: CachedRuleLine): void {
    if (!entry.jump) return;
    if (entry.loopFreeIn !== this.reference.id) open.novel = true;
    open.jumps?.push(entry);
  }

  /** The chain a rule is appended to; an undeclared one is reported and made. */
  private chainFor(open: OpenTable, chainName: string, line: number, text: string): ParsedChain {
    // Dumps list a chain's rules together: remember the last chain appended to.
    let chain = open.last?.name === chainName ? open.last : open.chains.get(chainName);
    if (!chain) {
      const later = `chain ${chainName} is not declared before this rule; iptables-restore fails here ("No chain/target/match by that name")`;
      this.report('error', line, text, later);
      chain = this.addChain(open, new ParsedChain(chainName, false, this.loc(line), this.lines));
      open.undeclared.add(chainName);
    }
    return chain;
  }

  /** Appends the rule of a parsed line to its chain (built when read), with the checks that depend on the chain. */
  private append(open: OpenTable, chain: ParsedChain, parsed: Readonly<ParsedRule>, line: number, text: string, counters: Rule['counters']): void {
    const chainName = chain.name;
    if (chain.builtin) {
      // iptables refuses -i in OUTPUT/POSTROUTING and -o in PREROUTING/INPUT ("Can't use -i with OUTPUT").
      const noIn = chainName === 'OUTPUT' || chainName === 'POSTROUTING';
      const noOut = chainName === 'PREROUTING' || chainName === 'INPUT';
      for (const m of parsed.matches) {
        if ((m.kind === 'in' && noIn) || (m.kind === 'out' && noOut)) {
          this.report('error', line, text, `can't use ${m.kind === 'in' ? '-i' : '-o'} in ${chainName}: that hook has no ${m.kind === 'in' ? 'input' : 'output'} interface`);
        }
      }
    }
    const made = chain.add(line, text, parsed, counters);
    open.last = chain;
    if (parsed.undeclaredJump !== undefined) open.pending.push({ chain, num: chain.ruleCount, name: parsed.undeclaredJump });
    else if (made === undefined && counters === undefined) {
      this.effect = RULE;
      this.effectChain = chain;
      this.effectEntry = this.lines.texts.length - 1;
    }
  }

  /** Before a line is read, when this dump becomes the reference: starts noting what the line does. */
  startLine(): void {
    this.effect = OTHER;
    this.diagnosticsBefore = this.diagnostics.length;
  }

  /**
   * After the line `index` was read: records in `log` what it did, when that
   * can be replayed (see replay-log.ts): `blank` for a blank or comment line,
   * `plain` for a line without leading or trailing blanks; a line that
   * reported anything is left OTHER.
   */
  recordLine(log: ReplayLog, index: number, blank: boolean, plain: boolean): void {
    if (blank) {
      log.kinds[index] = NOTHING;
      return;
    }
    const open = this.open;
    const chain = this.effectChain;
    if (!plain || this.effect === OTHER || this.diagnostics.length !== this.diagnosticsBefore || !open || !chain) return;
    const id = open.ids?.get(chain);
    if (id === undefined) return;
    log.kinds[index] = this.effect;
    if (this.effect === RULE) {
      log.chains[index] = id;
      log.entries[index] = this.effectEntry;
      log.rules = this.lines;
    } else {
      log.names[index] = chain.name;
      log.counters[index] = chain.counters;
    }
  }

  /** The reference's RuleLines, read at this dump's file and at line numbers `shift` lines further (one view per shift). */
  private viewOf(ref: RuleLines, shift: number): RuleLines {
    let view = this.views.get(shift);
    if (!view) this.views.set(shift, (view = new RuleLines(this.file, ref, shift)));
    return view;
  }

  /**
   * Replays the reference dump's lines from the line `index` on (see
   * replay-log.ts), while they are in step with it and plain; returns the
   * index of the first line left to read. The caller vouches that the open
   * table's lines so far are the reference's, in order.
   */
  replay(log: ReplayLog, split: SplitDump, index: number, first: number): number {
    this.replayedLast = -1;
    const open = this.open;
    if (!open || !log.rules) return index;
    const at = split.at;
    const { kinds, chains: ids, names, counters, entries } = log;
    const made = open.made;
    const j0 = at[index]!;
    // The rules are the reference's RuleLines entries, read at this dump's line numbers.
    const view = this.viewOf(log.rules, first + index - j0 - log.first);
    // A run of rules of one chain (consecutive lines and entries) is handed to the chain at once.
    let run = -1;
    let runFrom = 0;
    let runCount = 0;
    let rules = 0;
    let i = index;
    for (let j = j0; i < at.length && at[i] === j; i++, j++) {
      const kind = kinds[j];
      if (kind === RULE) {
        const e = entries[j]!;
        const id = ids[j]!;
        if (id !== run || e !== runFrom + runCount) {
          if (runCount > 0) made[run]!.addEntries(view, runFrom, runCount);
          run = id;
          runFrom = e;
          runCount = 0;
        }
        runCount++;
        rules++;
        this.replayedLast = i;
      } else if (kind === CHAIN) {
        this.addChain(open, new ParsedChain(names[j]!, false, this.loc(first + i), this.lines, counters[j]));
        this.replayedLast = i;
      } else if (kind !== NOTHING) break;
    }
    this.cache!.replayed += i - index;
    if (runCount === 0) return i;
    made[run]!.addEntries(view, runFrom, runCount);
    open.last = made[run];
    // As noteJump: a jump is novel unless the reference had it in a loop-free table (open.jumps: none, not recording).
    if (log.novelJumps(split.known, this.reference.id, j0, j0 + i - index) > 0) open.novel = true;
    this.cache!.hits += rules;
    return i;
  }

  /** COMMIT. */
  commit(line: number, text: string): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    if (!this.open) return this.report('error', line, text, 'COMMIT outside a table');
    this.close();
  }

  /** End of input; returns the Ruleset. */
  finish(lastLine: number, lastText: string): Ruleset {
    if (this.inTable) this.missingCommit(lastLine, lastText, `the input ends at line ${lastLine} (truncated dump?)`);
    // As the new reference: the jumps of its loop-free tables (of a name read once: a table read twice is two graphs).
    for (const t of this.loopFree) if (this.tableCount.get(t.name) === 1) for (const e of t.jumps) e.loopFreeIn = this.reference.becomes;
    return { tables: this.tables, file: this.file, ...(this.family ? { family: this.family } : {}) };
  }

  /** A line that needs a table outside one. */
  private outside(line: number, text: string): undefined {
    this.report('error', line, text, 'this line is outside a table: a table starts with *filter, *nat, ... and ends with COMMIT');
  }

  private missingCommit(line: number, text: string, why: string): void {
    if (this.skipping) {
      this.skipping = false;
      return;
    }
    const open = this.open!;
    this.report('error', line, text, `table ${open.table.name} (opened at line ${open.line}) has no COMMIT: ${why}; iptables-restore would not apply it`);
    this.close();
  }

  private close(): void {
    const open = this.open!;
    this.open = undefined;
    if (open.pending.length > 0) open.novel = true;
    for (const { chain, num, name } of open.pending) {
      const rule = chain.rules[num - 1]!; // builds the chain's Rules: the target is replaced below
      const c = open.chains.get(name);
      const declaredLine = c && declaredAt(open, c);
      const at = rule.loc.line;
      if (declaredLine !== undefined && declaredLine > at) {
        this.report('error', at, rule.text, `jump to chain ${name}, which is declared only later (line ${declaredLine}); iptables-restore fails here ("Couldn't load target")`);
        rule.target = { name, goto: rule.target!.goto, text: rule.target!.text, args: {} };
      } else {
        this.report('error', at, rule.text, `jump to undeclared chain ${name}`);
      }
    }
    const natInput = open.table.name === 'nat' ? open.chains.get('INPUT') : undefined;
    if (natInput && !open.builtinDeclared.has('INPUT') && natInput.ruleCount === 0) {
      // Kernels before 2.6.36 have no nat INPUT chain, and iptables-save then prints none: not hooked.
      open.chains.delete('INPUT');
    }
    for (const c of open.chains.values()) {
      if (c.builtin && !open.builtinDeclared.has(c.name)) {
        this.report('warning', open.line, `*${open.table.name}`, `built-in chain ${c.name} of table ${open.table.name} is not declared: its policy is not known`);
      }
    }
    const loops = open.novel ? this.checkLoops(open.chains) : false;
    if (!loops && open.jumps) this.loopFree.push({ name: open.table.name, jumps: open.jumps });
  }

  /** The kernel refuses rule sets whose jumps form a loop (mark_source_chains: ELOOP). True when there is one. */
  private checkLoops(chains: Map<string, ParsedChain>): boolean {
    let found = false;
    // By name: 1 while a chain is being visited, 2 when done, 3 for a target name that is no chain (ACCEPT, DNAT...),
    // so each rule costs one look-up here and each name one look-up in the table.
    const state = new Map<string, 1 | 2 | 3>();
    const path: string[] = []; // the chains being visited, outermost first
    const visit = (c: ParsedChain): void => {
      state.set(c.name, 1);
      path.push(c.name);
      // Targets only: the Rules are not built (but for a rule in a loop, whose target is replaced).
      c.forEachParsed((_, target, i) => {
        const name = target && target.unknown === undefined ? target.name : undefined;
        if (name === undefined) return;
        const s = state.get(name);
        if (s === 1) {
          const r = c.rules[i]!;
          const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
          this.report('error', r.loc.line, r.text, `jump loop ${cycle}: the kernel refuses this rule set (ELOOP)`);
          found = true;
          r.target = { ...r.target!, unknown: `${r.target!.text}: jump loop ${cycle}` };
        } else if (s === undefined) {
          const next = chains.get(name);
          if (!next) state.set(name, 3);
          else if (!next.builtin) visit(next);
        }
      });
      path.pop();
      state.set(c.name, 2);
    };
    for (const c of chains.values()) if (!state.has(c.name)) visit(c);
    return found;
  }
}

/** The line a chain was declared at, if it was. */
function declaredAt(open: OpenTable, c: Chain): number | undefined {
  if (c.builtin) return open.builtinDeclared.has(c.name) ? c.loc.line : undefined;
  return open.undeclared.size > 0 && open.undeclared.has(c.name) ? undefined : c.loc.line;
}
