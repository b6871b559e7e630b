/**
 * Real servers inside lab namespaces: PostgreSQL (the Debian package's
 * binaries, one initdb per process reused as a template), dnsmasq as the
 * cluster DNS and as the VPC resolver, and the probe responders.
 *
 * Guarantees: every server is started with `ip netns exec` inside a lab
 * namespace, listens only on its lab address, and is waited for with a
 * bounded poll; every started process is returned (pid) for teardown.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, appendFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodpathError } from '../model/errors.js';
import type { ServicePlan } from './plan-types.js';
import { inNs, run } from './run.js';
import { RESPONDER } from './scripts.js';

/** The lab database's superuser and password (`psql -U postgres`). */
export const LAB_PG_USER = 'postgres';
export const LAB_PG_PASSWORD = 'podpath-lab';

/** A started process. */
export interface Started {
  pid: number;
  ns: string;
  what: string;
}

/** The newest /usr/lib/postgresql/<version>/bin. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, 'bin')).find((b) => existsSync(join(b, 'postgres')));
  if (!bin) throw new PodpathError('PP_MISSING_INPUT', 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres)', { hint: 'run scripts/install-system-deps.sh as root' });
  return bin;
}

const asPostgres = ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups'];
let template: Promise<string> | undefined;

/** One initdb per process, into a temp dir removed at exit. */
export function pgTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podpath-pg-template-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const uid = Number((await run(['id', '-u', 'postgres'])).stdout.trim());
    const gid = Number((await run(['id', '-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
    const pw = join(dir, 'pwfile');
    writeFileSync(pw, `${LAB_PG_PASSWORD}\n`);
    chownSync(pw, uid, gid);
    const data = join(dir, 'data');
    await run([...asPostgres, join(postgresBin(), 'initdb'), '-D', data, '-U', LAB_PG_USER, '--auth=scram-sha-256', `--pwfile=${pw}`, '-E', 'UTF8', '--no-sync'], { timeoutMs: 120_000 });
    appendFileSync(join(data, 'pg_hba.conf'), 'host all all 0.0.0.0/0 scram-sha-256\n');
    return data;
  })();
  return template;
}

/** Spawns a long-running process in a namespace, output to `log`. */
function daemon(ns: string, argv: string[], log: string, what: string): Started {
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`lab: could not start ${what} in ${ns}`);
  return { pid: child.pid, ns, what };
}

async function waitFor(what: string, test: () => Promise<boolean>, tries = 60, delayMs = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, delayMs));
  }
  throw new Error(`lab: ${what} did not come up within ${(tries * delayMs) / 1000} s`);
}

const listening = (ns: string, flag: '-t' | '-u', addr: string, port: number) => async () =>
  (await run(inNs(ns, ['ss', '-Hln', flag]), { allowFail: true, timeoutMs: 3000 })).stdout.includes(`${addr}:${port} `);

/** Starts one planned service; `dir` is the lab's own temp dir. */
export async function startService(s: ServicePlan, dir: string): Promise<Started> {
  switch (s.kind) {
    case 'postgres': {
      const data = join(dir, `pg-${s.rds.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
      await run(['cp', '-a', await pgTemplate(), data], { timeoutMs: 60_000 });
      const started = daemon(s.ns, [...asPostgres, join(postgresBin(), 'postgres'), '-D', data, '-c', `listen_addresses=${s.address}`, '-p', String(s.port), '-c', `unix_socket_directories=${data}`, '-c', 'fsync=off', '-c', 'max_connections=20', '-c', 'shared_buffers=8MB'], join(dir, `pg-${s.rds}.log`), `postgres for rds:${s.rds}`);
      await waitFor(`PostgreSQL of rds:${s.rds}`, listening(s.ns, '-t', s.address, s.port));
      return started;
    }
    case 'vpc-resolver':
    case 'cluster-dns': {
      const args = ['dnsmasq', '-k', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${s.address}`, '--pid-file=', `--log-facility=${join(dir, `dnsmasq-${s.ns}.log`)}`];
      // The VPC resolver knows no cluster names: NXDOMAIN for everything asked.
      if (s.kind === 'vpc-resolver') args.push('--address=/#/');
      else args.push('--local=/cluster.local/', ...s.records.map((r) => `--host-record=${r.name},${r.ip}`));
      const started = daemon(s.ns, args, join(dir, `dnsmasq-${s.ns}.out`), s.kind === 'vpc-resolver' ? `VPC resolver of ${s.vpc}` : 'cluster DNS');
      await waitFor(`dnsmasq in ${s.ns}`, listening(s.ns, '-u', s.address, 53));
      return started;
    }
  }
}

/** Starts a responder (accepts TCP, echoes UDP) on the given ports in a namespace. */
export async function startResponder(ns: string, tcp: number[], udp: number[], addresses: string[], dir: string): Promise<Started> {
  const log = join(dir, `responder-${ns}.log`);
  writeFileSync(log, '');
  const started = daemon(ns, [process.execPath, '-e', RESPONDER, JSON.stringify({ tcp, udp, addresses })], log, `responder tcp ${tcp.join(',') || '-'} udp ${udp.join(',') || '-'}`);
  await waitFor(`responder in ${ns}`, async () => (await run(['cat', log])).stdout.includes('ready') || fails(log), 50, 50);
  return started;
}

async function fails(log: string): Promise<boolean> {
  const text = (await run(['cat', log])).stdout;
  if (text.includes('error')) throw new Error(`lab: responder failed: ${text.trim()}`);
  return false;
}

/** The lab's own temp dir (PostgreSQL data, logs), traversable by the postgres user. */
export function makeLabDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `podpath-lab-${prefix}`));
  chmodSync(dir, 0o755);
  mkdirSync(dir, { recursive: true });
  return dir;
}
