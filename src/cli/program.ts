/**
 * Declares the commands and their options. Each action lazy-imports its
 * command module, which returns data; rendering and exit codes happen here.
 */
import { Command, Option } from 'commander';
import { PodpathError } from '../model/errors.js';
import { render, type OutputFormat, FORMATS } from '../report/registry.js';
import type { CommandResult } from './commands/result.js';

type Io = { out: (s: string) => void; err: (s: string) => void };

/** Builds the commander program; `setExit` receives the command's exit code. */
export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('podpath')
    .description('Explains why traffic between Kubernetes pods and a cloud network does not get where it should.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError();
  const output = () => new Option('-o, --output <format>', 'output format').choices(FORMATS).default('text');
  const emit = (result: CommandResult, format: OutputFormat) => {
    io.out(render(result.report, format));
    setExit(result.exitCode);
  };

  program
    .command('demo')
    .description('the seed scenario end to end: node->RDS works, pod->RDS does not, why, and the fix proven on a model copy')
    .option('--estate <file>', 'run the story on another estate file of the same shape')
    .addOption(output())
    .action(async (opts: { estate?: string; output: OutputFormat }) => {
      const { runDemo } = await import('./commands/demo.js');
      emit(runDemo({ estate: opts.estate }), opts.output);
    });

  program
    .command('trace')
    .description('follow a packet and its reply hop by hop; SRC/DST: pod:NAME, node:NAME, rds:NAME, instance:ID or an IP')
    .argument('<src>', 'source endpoint')
    .argument('<dst>', 'destination endpoint, optionally with :PORT')
    .requiredOption('--estate <file>', 'estate file (YAML, docs/estate-format.md)')
    .addOption(new Option('--proto <proto>', 'protocol').choices(['tcp', 'udp', 'icmp']).default('tcp'))
    .option('--sport <port>', 'source port', parsePort)
    .addOption(output())
    .action(async (src: string, dst: string, opts: { estate: string; proto: 'tcp' | 'udp' | 'icmp'; sport?: number; output: OutputFormat }) => {
      const { runTrace } = await import('./commands/trace.js');
      emit(runTrace({ estate: opts.estate, src, dst, proto: opts.proto, sport: opts.sport }), opts.output);
    });

  return program;
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new PodpathError('PP_USAGE', `--sport takes a port 1..65535, not '${text}'`);
  return n;
}
