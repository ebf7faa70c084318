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
  test('every span of every turn arrives before the freeze; trees and a static summary are printed (not a terminal)', async () => {
    const { code, out } = await demo([]);
    expect(out).toMatch(/✓ All 12 spans recorded in 4 invocations arrived before their freeze\./);
    expect(code).toBe(0);
    expect(out.match(/✓ 3\/3 spans reached the endpoint before the freeze/g)).toHaveLength(4);
    expect(out).toMatch(/● chat_turn\s+trajectory\s+user=user_ada convo=demo-[0-9a-f]+/);
    expect(out).toMatch(/├─ search_docs\s+tool/);
    expect(out).toMatch(/└─ llm_call\s+llm\s+gpt-4o-mini \(openai\)/);
    // Not a terminal: a static summary, and no link to a dashboard that stops on the next line.
    expect(out).toMatch(/Summary: 4 trajectories, 12 spans, conversation demo-[0-9a-f]+, tokens \d+ in → \d+ out\./);
    expect(out).toMatch(/Not a terminal, so the endpoint stopped with the demo/);
    expect(out).not.toMatch(/Dashboard: http/);
  });

  test('--keep: the dashboard stays up, with a line saying so, until Ctrl-C', async () => {
    const proc = new CliProcess(
      spawn(process.execPath, [path.join(ROOT, 'scripts/demo.mjs'), '--no-setup', '--keep'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    try {
      const [, url] = await proc.waitFor(/Dashboard: (http:\/\/localhost:\d+)\/#\/session\/demo-[0-9a-f]+/, {
        timeoutMillis: 120_000,
      });
      await proc.waitFor(/keep running; new spans print below\. Press Ctrl-C to stop\./);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const { spans } = (await (await fetch(`${url}/api/spans`)).json()) as { spans: unknown[] };
      expect(spans).toHaveLength(12);
    } finally {
      proc.child.kill('SIGINT');
    }
    expect(await proc.exited).toBe(0);
  });

  test('a handler that does not flush before the freeze fails the demo', async () => {
    const { code, out } = await demo(['--handler', path.join(ROOT, 'test/fixtures/dev/unwrapped-handler.ts')]);
    expect(out).toMatch(/✗ the handler recorded 2 span\(s\); 0 reached the endpoint before the freeze/);
    expect(code).toBe(1);
  });
});
