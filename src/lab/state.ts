/**
 * Lab names, prefixes and the state file (/run/podpath-lab/<name>.json) that
 * lets `lab exec/check/down` find a lab another process built.
 *
 * Guarantees: a prefix is `pp` + 6 random lowercase letters/digits + `-`;
 * `isLabNamespace` recognises exactly names with such a prefix; lab names are
 * restricted to `[A-Za-z0-9_.-]{1,40}` so they are safe as file names.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodpathError } from '../model/errors.js';
import type { LabState } from './plan-types.js';

/** Where lab state files live. */
export const STATE_DIR = '/run/podpath-lab';
const PREFIX_RE = /^pp[0-9a-z]{6}-/;

/** A fresh unique prefix. */
export function newPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(6);
  return `pp${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}-`;
}

/** True for a namespace (or /etc/netns entry) a lab made. */
export function isLabNamespace(name: string): boolean {
  return PREFIX_RE.test(name);
}

export function checkLabName(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(name) || name.startsWith('.')) {
    throw new PodpathError('PP_USAGE', `bad lab name '${name}'`, { hint: 'use letters, digits, _ . - (at most 40)' });
  }
  return name;
}

function statePath(name: string): string {
  return join(STATE_DIR, `${checkLabName(name)}.json`);
}

/** Writes (atomically) the state of a lab. */
export function writeState(s: LabState): void {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  const tmp = `${statePath(s.name)}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 1));
  renameSync(tmp, statePath(s.name));
}

/** Reads the state of a lab, or throws a clear error naming the labs that exist. */
export function readState(name: string): LabState {
  try {
    return JSON.parse(readFileSync(statePath(name), 'utf8')) as LabState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const known = listStates().map((s) => s.name);
    throw new PodpathError('PP_USAGE', `no lab named '${name}'`, { hint: known.length ? `running: ${known.join(', ')}` : 'start one with `podpath lab up --estate FILE --name NAME`' });
  }
}

/** True when a lab of that name has a state file. */
export function hasState(name: string): boolean {
  try {
    readFileSync(statePath(name));
    return true;
  } catch {
    return false;
  }
}

export function removeState(name: string): void {
  rmSync(statePath(name), { force: true });
}

/** Every readable state file. */
export function listStates(): LabState[] {
  let files: string[] = [];
  try {
    files = readdirSync(STATE_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: LabState[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as LabState);
    } catch {
      // a half-written or foreign file: gc removes by prefix anyway
    }
  }
  return out;
}
