/**
 * Declares the commands and their options. Each action lazy-imports its
 * command module, which returns data; rendering and exit codes happen here.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { render, type OutputFormat } from '../report/registry.js';
import { neutraliseControls } from '../report/sanitize.js';
import { colorize } from './color.js';
import { examplesHelp } from './examples.js';
import { progressMode, progressWriter, type Progress } from './progress.js';
import { summariseNotes } from './note-summary.js';
import { oneLineUsageErrors, commandPath } from './usage-error.js';
import type { CommandResult } from './commands/result.js';
import type { InputOptions } from '../ingest/load.js';
import type { Proto } from '../net/packet.js';

/**
 * Where output goes; `color` when stdout is a terminal that takes colour
 * (src/cli/color.ts); `errTty` when stderr is a terminal (the progress line
 * is drawn there), `errColumns` its width; `rawErr` writes to stderr without
 * neutralising control characters (for the progress line's erase sequence).
 */
export type Io = { out: (s: string) => void; err: (s: string) => void; color?: boolean; errTty?: boolean; errColumns?: number; rawErr?: (s: string) => void };

/** Output formats every command offers; doctor adds the CI ones. */
const BASIC_FORMATS: OutputFormat[] = ['text', 'json'];
const CI_FORMATS: OutputFormat[] = ['text', 'json', 'sarif', 'junit'];

/** Builds the commander program; `setExit` receives the command's exit code. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('podpath')
    .description('Explains why traffic between Kubernetes pods and a cloud network does not get where it should.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .option('-q, --quiet', 'print no notes and no progress on stderr (errors still print)')
    .option('-v, --verbose', 'print every loader note (not a summary), progress also when stderr is not a terminal, and the stack of an internal error');
  const output = (formats = BASIC_FORMATS) => new Option('-o, --output <format>', 'output format').choices(formats).default('text');
  /** The progress line for long work (src/cli/progress.ts). */
  const progress = (): Progress => {
    const { quiet, verbose } = program.opts<{ quiet?: boolean; verbose?: boolean }>();
    return progressWriter(io.rawErr ?? io.err, progressMode({ quiet, verbose, errTty: io.errTty }), io.errColumns);
  };
  const emit = (result: CommandResult, format: OutputFormat, shown?: Progress) => {
    shown?.clear();
    const { quiet, verbose } = program.opts<{ quiet?: boolean; verbose?: boolean }>();
    if (!quiet) for (const line of summariseNotes(result.stderr ?? [], Boolean(verbose))) io.err(`podpath: ${line}\n`);
    // Text reaches a terminal: input-borne control characters are neutralised here, once (src/report/sanitize.ts).
    const rendered = render(result.report, format);
    io.out(format === 'text' ? (io.color ? colorize(neutraliseControls(rendered)) : neutraliseControls(rendered)) : rendered);
    setExit(result.exitCode);
  };

  const input = (c: Command) =>
    c.option('--estate <file>', 'estate file (YAML, docs/estate-format.md)').option('--snapshot <dir>', 'snapshot folder of native outputs (docs/snapshot.md)');

  input(program
    .command('demo')
    .description('the seed scenario end to end: node->RDS works, pod->RDS does not, why, and the fix proven on a model copy'))
    .addOption(output())
    .action(async (opts: InputOptions & { output: OutputFormat }) => {
      const { runDemo } = await import('./commands/demo.js');
      emit(runDemo(opts), opts.output);
    });

  const traceCmd = program
    .command('trace')
    .description('follow a packet and its reply hop by hop; SRC/DST: pod:NAME, node:NAME, rds:NAME, instance:ID or an IP')
    .argument('<src>', 'source endpoint')
    .argument('<dst>', 'destination endpoint, optionally with :PORT');
  input(traceCmd)
    .addOption(protoOption())
    .option('--sport <port>', 'source port', parsePort)
    .option('--from-internet', 'SRC is an internet address: its packets enter through the internet gateway (same as --entry internet)')
    .option('--entry <point>', 'SRC is an address outside the estate entering at POINT: internet, igw-ID, vgw-ID or tgw-attach-ID')
    .addOption(output())
    .action(async (src: string, dst: string, opts: InputOptions & { proto: Proto; sport?: number; fromInternet?: boolean; entry?: string; output: OutputFormat }) => {
      const { runTrace } = await import('./commands/trace.js');
      const entry = opts.entry ?? (opts.fromInternet ? 'internet' : undefined);
      emit(runTrace({ estate: opts.estate, snapshot: opts.snapshot, src, dst, proto: opts.proto, sport: opts.sport, entry }), opts.output);
    });

  const iptables = program.command('iptables').description('one node\'s iptables dump on its own: parse it, or walk a packet through it');
  iptables
    .command('check')
    .description('parse an iptables-save dump (or -S / -L -n -v listing): tables, chains, rule counts, diagnostics with file:line')
    .argument('<file>')
    .option('--table <table>', 'table a -S/-L listing holds (listings do not say; inferred otherwise)')
    .addOption(output())
    .action(async (file: string, opts: { table?: string; output: OutputFormat }) => {
      const { runIptablesCheck } = await import('./commands/iptables.js');
      emit(runIptablesCheck({ file, table: opts.table }), opts.output);
    });
  iptables
    .command('trace')
    .description('walk a packet through the hooks of one dump: forwarded (--in IFACE) or locally generated (--local); --node DIR takes the dump, addresses, routes and policy rules from a snapshot node folder')
    .argument('[file]', 'iptables-save output (or give --node DIR)')
    .option('--node <dir>', 'a snapshot node folder (nodes/NAME/): iptables-save.txt, ip-addr.txt, ip-route.txt, ip-rule.txt, ipset-save.txt')
    .requiredOption('--src <ip>', 'source address')
    .requiredOption('--dst <ip[:port]>', 'destination address and port')
    .addOption(protoOption())
    .option('--in <iface>', 'interface the packet arrives on (forwarded or locally delivered)')
    .option('--local', 'the packet is generated by a local process')
    .option('--out <iface>', 'interface a forwarded or locally sent packet leaves on')
    .option('--addr <iface=ip/len>', 'an address of the node (repeatable); needed for addrtype LOCAL, MASQUERADE, local delivery', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ipset <file>', 'the node\'s `ipset save` output, for -m set rules (without it they answer unknown)')
    .option('--sport <port>', 'source port', parsePort)
    .option('--table <table>', 'table a -S/-L listing holds (listings do not say; inferred otherwise)')
    .addOption(output())
    .action(async (file: string | undefined, opts: { node?: string; src: string; dst: string; proto: Proto; in?: string; local?: boolean; out?: string; addr?: string[]; sport?: number; table?: string; ipset?: string; output: OutputFormat }) => {
      const { runIptablesTrace } = await import('./commands/iptables.js');
      emit(runIptablesTrace({ file, node: opts.node, src: opts.src, dst: opts.dst, proto: opts.proto, in: opts.in, local: opts.local, out: opts.out, addr: opts.addr, sport: opts.sport, table: opts.table, ipset: opts.ipset }), opts.output);
    });

  const nft = program.command('nft').description('one node\'s nftables ruleset (nft list ruleset, or nft -j list ruleset): parse it, or walk a packet through it with the node\'s iptables');
  nft.command('check').description('parse a ruleset: tables, chains, rule counts, rules podpath does not model').argument('<file>').addOption(output())
    .action(async (file: string, opts: { output: OutputFormat }) => emit((await import('./commands/nft.js')).runNftCheck({ file }), opts.output));
  nft.command('trace').description('walk a packet through the nft base chains and (--iptables) the iptables tables, by hook and priority').argument('<file>')
    .option('--iptables <dump>', 'the node\'s iptables-save dump, walked together with the ruleset')
    .requiredOption('--src <ip>', 'source address').requiredOption('--dst <ip[:port]>', 'destination address and port').addOption(protoOption())
    .option('--in <iface>', 'interface the packet arrives on').option('--local', 'the packet is generated by a local process').option('--out <iface>', 'interface the packet leaves on')
    .option('--addr <iface=ip/len>', 'an address of the node (repeatable)', (v: string, prev: string[] = []) => [...prev, v]).option('--sport <port>', 'source port', parsePort)
    .option('--mark <mark>', 'firewall mark the packet arrives with (e.g. 0x01000000 set by an eBPF program before netfilter)').addOption(output())
    .action(async (file: string, opts: { iptables?: string; mark?: string; src: string; dst: string; proto: Proto; in?: string; local?: boolean; out?: string; addr?: string[]; sport?: number; output: OutputFormat }) => {
      const { output: fmt, ...rest } = opts;
      emit((await import('./commands/nft.js')).runNftTrace({ file, ...rest }), fmt);
    });

  program
    .command('snapshot')
    .description('snapshot folders')
    .command('check')
    .description('list what a snapshot folder holds: found, derived, ignored')
    .argument('<dir>')
    .addOption(output())
    .action(async (dir: string, opts: { output: OutputFormat }) => {
      const { runSnapshotCheck } = await import('./commands/snapshot.js');
      emit(runSnapshotCheck({ dir }), opts.output);
    });
  program
    .command('collect')
    .description('collect a snapshot live from AWS and Kubernetes (read-only calls)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, then the profile\'s region)')
    .option('--profile <profile>', 'AWS profile')
    .option('--context <context>', 'kubeconfig context')
    .requiredOption('--out <dir>', 'snapshot folder to write')
    .addOption(output())
    .action(async (opts: { region?: string; profile?: string; context?: string; out: string; output: OutputFormat }) => {
      const { runCollect } = await import('./commands/snapshot.js');
      const { resolveRegion } = await import('./aws-region.js');
      const { region, from } = resolveRegion(opts.region, opts.profile, process.env);
      const quiet = Boolean(program.opts().quiet);
      if (!quiet) io.err(`podpath: region ${region} (from ${from})\n`);
      const shown = progress();
      // Steps (call n of m, pages) are progress; what collect has to say (a call failed, skipped, cut) prints unless --quiet.
      const say = (line: string, transient?: boolean) => {
        if (transient) return shown.step(line);
        shown.clear();
        if (!quiet) io.err(`podpath: ${line}\n`);
      };
      emit(await runCollect({ ...opts, region, progress: say }), opts.output, shown);
    });

  program.command('gen').description('write a synthetic estate as a snapshot folder, with seeded faults listed in manifest.json (docs/bench.md)')
    .requiredOption('--out <dir>', 'snapshot folder to write (new or empty)').option('--vpcs <n>', 'data VPCs', Number, 40).option('--clusters <n>', 'node groups', Number, 4)
    .option('--nodes-per-cluster <n>', 'nodes per group', Number, 10).option('--services <n>', 'ClusterIP Services', Number, 50).option('--endpoints <n>', 'endpoints per Service', Number, 5)
    .option('--seed <n>', 'seed', Number, 1).option('--clean', 'no seeded fault').addOption(output())
    .action(async (o: { out: string; vpcs: number; clusters: number; nodesPerCluster: number; services: number; endpoints: number; seed: number; clean?: boolean; output: OutputFormat }) => {
      const { runGen, genSummary } = await import('./commands/gen.js');
      const r = runGen({ out: o.out, vpcs: o.vpcs, clusters: o.clusters, nodesPerCluster: o.nodesPerCluster, services: o.services, endpointsPerService: o.endpoints, seed: o.seed, faults: !o.clean });
      io.out(o.output === 'json' ? `${JSON.stringify(r.manifest, null, 2)}\n` : genSummary(r));
      setExit(0);
    });
  input(program.command('doctor').description('check every source class against every destination class; report findings with evidence'))
    .addOption(new Option('--fail-on <level>', 'exit 1 when a finding at or above this level exists').choices(['error', 'warning', 'note', 'none']).default('warning'))
    .addOption(output(CI_FORMATS))
    .action(async (opts: InputOptions & { failOn: 'error' | 'warning' | 'note' | 'none'; output: OutputFormat }) => {
      const { runDoctor } = await import('./commands/doctor.js');
      const shown = progress();
      emit(runDoctor(opts, shown), opts.output, shown);
    });
  input(program.command('fix').description('propose changes for each finding, each proven on a copy of the model'))
    .option('--finding <id>', 'only this finding')
    .addOption(output())
    .action(async (opts: InputOptions & { finding?: string; output: OutputFormat }) => {
      const { runFix } = await import('./commands/doctor.js');
      const shown = progress();
      emit(runFix(opts, shown), opts.output, shown);
    });
  input(program.command('plan').description('propose pod and service CIDRs that collide with nothing routed'))
    .option('--nodes <n>', 'number of nodes to size for', positiveInt, 100)
    .option('--pods-per-node <n>', 'pods per node to size for', positiveInt, 110)
    .option('--on-prem <cidr>', 'an on-premises prefix also routed (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .addOption(output())
    .action(async (opts: InputOptions & { nodes: number; podsPerNode: number; onPrem: string[]; output: OutputFormat }) => {
      const { runPlan } = await import('./commands/doctor.js');
      emit(runPlan(opts), opts.output);
    });
  program
    .command('diff')
    .description('flows whose verdict changed between two estates or snapshots')
    .argument('<a>', 'estate file or snapshot folder')
    .argument('<b>', 'estate file or snapshot folder')
    .addOption(output())
    .action(async (a: string, b: string, opts: { output: OutputFormat }) => {
      const { runDiff } = await import('./commands/doctor.js');
      const shown = progress();
      emit(runDiff({ a, b }, shown), opts.output, shown);
    });

  const lab = program.command('lab').description('build an estate from Linux network namespaces and check the model against the kernel (root)');
  input(lab.command('up').description('materialize an estate'))
    .option('--name <name>', 'lab name')
    .addOption(output())
    .action(async (opts: { estate?: string; snapshot?: string; name?: string; output: OutputFormat }) => {
      const { runLabUp } = await import('./commands/lab.js');
      emit(await runLabUp(opts), opts.output);
    });
  lab
    .command('exec')
    .description('run a command inside a lab host: lab exec NAME WHERE -- CMD...')
    .argument('<name>')
    .argument('<where>', 'pod:NAME, node:NAME, rds:NAME')
    .argument('<command...>')
    .action(async (name: string, where: string, command: string[]) => {
      const { runLabExec } = await import('./commands/lab.js');
      emit(await runLabExec({ name, where, command }), 'text');
    });
  for (const [verb, what] of [['check', 'run every flow through the model and the kernel and compare verdicts'], ['down', 'remove a lab']] as const) {
    lab
      .command(verb)
      .description(what)
      .argument('<name>')
      .addOption(output())
      .action(async (name: string, opts: { output: OutputFormat }) => {
        const m = await import('./commands/lab.js');
        emit(await (verb === 'check' ? m.runLabCheck : m.runLabDown)({ name }), opts.output);
      });
  }
  lab
    .command('gc')
    .description('remove every namespace, link and process left by any lab')
    .addOption(output())
    .action(async (opts: { output: OutputFormat }) => {
      const { runLabGc } = await import('./commands/lab.js');
      emit(await runLabGc(), opts.output);
    });

  program
    .command('agent')
    .description('keep this node\'s masquerade rules as an ip-masq-agent config says (DaemonSet; docs/agent.md)')
    .option('--config <path>', 'config file (YAML or JSON, ip-masq-agent format)', '/etc/config/ip-masq-agent')
    .option('--dry-run', 'print the iptables-restore payload, write nothing')
    .option('--once', 'sync once and exit')
    .option('--uninstall', 'remove the agent\'s chain and jumps')
    .option('--check', 'report rules that decide masquerade before or after the agent (exit 1 if any)')
    .option('--port <n>', '/healthz and /metrics port', (v: string) => (v === '0' ? 0 : positiveInt(v)), 9745)
    .option('--host <ip>', '/healthz and /metrics address', '127.0.0.1')
    .option('--masq-chain <name>', 'nat chain the agent owns', 'PODPATH-MASQ-AGENT')
    .option('--nomasq-all-reserved-ranges', 'default nonMasqueradeCIDRs include every RFC-reserved IPv4 range')
    .addOption(new Option('--random-fully <bool>', 'MASQUERADE with --random-fully').choices(['true', 'false']).default('true'))
    .option('--to-ports <ranges>', 'masquerade tcp/udp/sctp to these source ports, e.g. 1024-29999,32768-65535')
    .option('--enable-ipv6', 'accepted for ip-masq-agent compatibility; IPv6 CIDRs are still refused (IPv4 rules only)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: Record<string, unknown>) => {
      const { runAgent } = await import('./commands/agent.js');
      setExit(await runAgent({ ...opts, randomFully: opts.randomFully !== 'false' } as never, io));
    });

  input(program.command('report').description('write one self-contained HTML page: topology picture, findings with their failing paths hop by hop, proven fixes'))
    .requiredOption('--html <file>', 'the HTML file to write')
    .addOption(output())
    .action(async (opts: InputOptions & { html: string; output: OutputFormat }) => {
      const { runReport } = await import('./commands/report.js');
      const shown = progress();
      emit(await runReport(opts, shown), opts.output, shown);
    });
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      io.out(completionScript(program, shell));
    });

  finishCommands(program, io);
  return program;
}

/** Help examples on every command and one-line usage errors everywhere. */
function finishCommands(program: Command, io: Io): void {
  const visit = (c: Command) => {
    const examples = examplesHelp(commandPath(c));
    if (examples) c.addHelpText('after', examples);
    c.commands.forEach(visit);
  };
  visit(program);
  oneLineUsageErrors(program, io.err);
}

function protoOption(): Option {
  return new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp', 'sctp', 'icmp']).default('tcp');
}

// Commander names the option in the one-line usage error: `option '--nodes <n>' argument '0' is invalid: ...`.
function positiveInt(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) throw new InvalidArgumentError('Expected a positive whole number');
  return n;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new InvalidArgumentError('Expected a port 1..65535');
  return n;
}
