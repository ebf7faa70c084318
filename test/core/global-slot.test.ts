/**
 * The one versioned global slot (src/core/global.ts): the ESM and CommonJS builds loaded in one
 * process share the client, the async context, the logger and process-wide facts (cold start); a
 * copy of another release line stays apart; something foreign at our key is neither used nor
 * overwritten. Runs the built dist in child processes (test/fixtures/core/global-slot.mjs).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { releaseLine } from '../../src/core/global.js';
import { SDK_VERSION } from '../../src/core/version.js';
import { OtlpReceiver } from '../support/receiver.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/core/global-slot.mjs', import.meta.url));
const LINE = releaseLine(SDK_VERSION);

interface Out {
  versions: [string, string];
  initialised: [boolean, boolean];
  probeLogged: boolean;
  sameContext: boolean;
  flush: { ok: boolean }[];
  foreignUntouched?: boolean;
  warnings?: string[];
}

let receiver: OtlpReceiver;
let work: string;
beforeAll(async () => {
  if (!existsSync(`${root}dist/index.js`) || !existsSync(`${root}dist/index.cjs`))
    throw new Error('dist/ is missing: run `npm run build` before this test');
  receiver = await OtlpReceiver.start();
  // Inside the repository, so the copies resolve `@opentelemetry/api` from its node_modules.
  mkdirSync(path.join(root, '.tmp'), { recursive: true });
  work = mkdtempSync(path.join(root, '.tmp', 'global-slot-'));
});
afterAll(async () => {
  await receiver.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => receiver.clear());

function run(args: string[]): Promise<Out> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [fixture, ...args],
      {
        cwd: root,
        env: { ...process.env, RECEIVER_URL: receiver.url, GLOBAL_KEY: `bentolabs.sdk.${LINE}` },
        timeout: 20_000,
      },
      (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(JSON.parse(out.trim().split('\n').pop() ?? '')),
    ),
  );
}

/** `faas.coldstart` of the span recorded in each Lambda invocation, by invocation id. */
function coldStarts(): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const s of receiver.spans.filter((span) => span.name === 'in-invocation'))
    found[String(s.attributes['faas.invocation_id'])] = s.attributes['faas.coldstart'];
  return found;
}

it('the ESM and CJS builds share one client, one context, one logger and one cold start', async () => {
  const out = await run(['dual']);
  expect(out.versions).toEqual([SDK_VERSION, SDK_VERSION]);
  expect(out.initialised).toEqual([true, true]);
  // The custom logger set through the ESM build hears what the CJS build logs (0.1: two loggers).
  expect(out.probeLogged).toBe(true);
  expect(out.sameContext).toBe(true);
  expect(out.flush.every((f) => f.ok)).toBe(true);
  expect(coldStarts()).toEqual({ 'inv-1': true, 'inv-2': false });
});

/** A copy of dist/ whose SDK_VERSION says `version`: what differs between two real releases is exactly that. */
function copyAs(version: string): string {
  const dir = path.join(work, version);
  cpSync(path.join(root, 'dist'), dir, { recursive: true, filter: (f) => !f.includes('dashboard') });
  let rewritten = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const next = text.replaceAll(`"${SDK_VERSION}"`, `"${version}"`);
    if (next !== text) rewritten++;
    writeFileSync(path.join(dir, file), next);
  }
  expect(rewritten).toBeGreaterThan(0);
  return dir;
}

it('a copy of another release line keeps its own client, context, logger and cold start', async () => {
  const out = await run(['copy', copyAs('99.0.0')]);
  expect(out.versions).toEqual([SDK_VERSION, '99.0.0']);
  expect(out.initialised).toEqual([true, false]);
  expect(out.probeLogged).toBe(false);
  expect(out.sameContext).toBe(false);
  expect(out.flush.every((f) => f.ok)).toBe(true);
  expect(coldStarts()).toEqual({ 'inv-1': true, 'inv-2': true });
});

it('a copy of another patch release of the same line shares everything', async () => {
  const patch = SDK_VERSION.replace(/\.\d+$/, '.999');
  expect(releaseLine(patch)).toBe(LINE);
  const out = await run(['copy', copyAs(patch)]);
  expect(out.versions).toEqual([SDK_VERSION, patch]);
  expect(out.initialised).toEqual([true, true]);
  expect(out.probeLogged).toBe(true);
  expect(out.sameContext).toBe(true);
  expect(coldStarts()).toEqual({ 'inv-1': true, 'inv-2': false });
});

it('something foreign at our global key is neither used nor overwritten, and the logger says so', async () => {
  const out = await run(['foreign']);
  expect(out.foreignUntouched).toBe(true);
  // Each copy falls back to state of its own, so the two builds no longer share a client ...
  expect(out.initialised).toEqual([true, false]);
  // ... and recording still works through the copy that was initialised.
  expect(out.flush[0]?.ok).toBe(true);
  expect(coldStarts()['inv-1']).toBe(true);
  expect(out.warnings?.join('\n')).toContain('keeps its state to itself');
});
