/**
 * `npm run demo` end to end (with dist/ already built): the Lambda example through the freezing
 * harness into `bentolabs dev`. And its negative control: a handler that does not flush loses
 * its spans at the freeze, and the demo must say so and exit non-zero.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { CliProcess, ROOT } from './helpers.js';

function demo(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = new CliProcess(
    spawn(process.execPath, [path.join(ROOT, 'scripts/demo.mjs'), '--no-setup', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  return proc.exited.then((code) => ({ code, out: proc.stdout + proc.stderr }));
}

describe('npm run demo', () => {
  test('every span of every turn arrives before the freeze; trees and the dashboard URL are printed', async () => {
    const { code, out } = await demo([]);
    expect(out).toMatch(/✓ All 12 spans recorded in 4 invocations arrived before their freeze\./);
    expect(code).toBe(0);
    expect(out.match(/✓ 3\/3 spans reached the endpoint before the freeze/g)).toHaveLength(4);
    expect(out).toMatch(/● chat_turn\s+trajectory\s+user=user_ada convo=demo-[0-9a-f]+/);
    expect(out).toMatch(/├─ search_docs\s+tool/);
    expect(out).toMatch(/└─ llm_call\s+llm\s+gpt-4o-mini \(openai\)/);
    expect(out).toMatch(/Dashboard: http:\/\/localhost:\d+\/#\/session\/demo-[0-9a-f]+/);
  });

  test('a handler that does not flush before the freeze fails the demo', async () => {
    const { code, out } = await demo(['--handler', path.join(ROOT, 'test/fixtures/dev/unwrapped-handler.ts')]);
    expect(out).toMatch(/✗ the handler recorded 2 span\(s\); 0 reached the endpoint before the freeze/);
    expect(code).toBe(1);
  });
});
