/**
 * Overhead of `wrapOpenAI` against the unwrapped `openai` client, both calling the same fake
 * provider on 127.0.0.1 (test/support/fake-llm-server.ts) in the same run, alternated call by
 * call (and which side goes first) so that machine noise hits both sides alike: per non-streamed call, and per streamed chunk
 * (a 2000-chunk answer read to its end). The SDK exports to a loopback sink meanwhile. A second
 * unwrapped client runs in the same rotation as a control: the gap between two identical clients
 * is the noise floor of the run (connection scheduling on a loaded machine can exceed the wrapper's
 * own cost), and an overhead below it is not measurable on that machine.
 *
 * `openai` 7 needs Node.js 22+, and the fake is TypeScript loaded through Node's type stripping:
 * on an older Node this re-runs itself under Node 24 (scripts/runtimes.mjs) and reads its rows.
 * `node bench/integrations.mjs` prints the rows as JSON.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fmt, median, startSink } from './lib.mjs';

const CALLS = 400;
const STREAM_ROUNDS = 16;
const CHUNKS = 2000;
const messages = [{ role: 'user', content: 'What is the refund policy?' }];

export async function benchIntegrations() {
  if (Number(process.versions.node.split('.')[0]) < 22) {
    const { ensureNode } = await import('../scripts/runtimes.mjs');
    const out = spawnSync(ensureNode(24), [fileURLToPath(import.meta.url)], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`integrations bench failed under Node 24: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split('\n').pop());
  }
  return measure();
}

async function measure() {
  const { default: OpenAI } = await import('openai');
  const bento = await import('@bentolabs/sdk');
  const { wrapOpenAI } = await import('@bentolabs/sdk/openai');
  const { FakeLlmServer } = await import('../test/support/fake-llm-server.ts');
  const fake = await FakeLlmServer.start();
  const sink = await startSink();
  bento.init({ apiKey: 'bl_pk_bench_00000000', baseUrl: sink.url, logLevel: 'silent' });
  const options = { apiKey: 'sk-bench', baseURL: fake.openaiBaseUrl, maxRetries: 0 };
  const clients = {
    plain: new OpenAI(options),
    control: new OpenAI(options),
    wrapped: wrapOpenAI(new OpenAI(options)),
  };
  const sides = Object.keys(clients);
  /** The sides in a rotating order, so none always runs first on a warmer machine. */
  const rotation = (i) => sides.map((_, k) => sides[(i + k) % sides.length]);

  const call = (client) => client.chat.completions.create({ model: 'gpt-test', messages });
  const stream = async (client) => {
    const s = await client.chat.completions.create({ model: `chunks-${CHUNKS}`, messages, stream: true });
    let n = 0;
    for await (const _ of s) n++;
    return n;
  };
  const time = async (fn) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };

  for (let i = 0; i < 30; i++) for (const side of sides) await call(clients[side]);
  for (const side of sides) await stream(clients[side]);

  const perCall = { plain: [], control: [], wrapped: [] };
  for (let i = 0; i < CALLS; i++)
    for (const side of rotation(i)) perCall[side].push(await time(() => call(clients[side])));
  const perStream = { plain: [], control: [], wrapped: [] };
  for (let r = 0; r < STREAM_ROUNDS; r++)
    for (const side of rotation(r)) perStream[side].push(await time(() => stream(clients[side])));
  const inMemory = await measureInMemory(OpenAI, wrapOpenAI);
  await bento.shutdown();
  await Promise.all([fake.close(), sink.close()]);

  const callP = median(perCall.plain);
  const callC = median(perCall.control);
  const callW = median(perCall.wrapped);
  const streamP = median(perStream.plain);
  const streamC = median(perStream.control);
  const streamW = median(perStream.wrapped);
  const chunkOverheadMicros = ((streamW - streamP) * 1000) / CHUNKS;
  const chunkNoiseMicros = ((streamC - streamP) * 1000) / CHUNKS;
  return [
    {
      name: 'wrapOpenAI: chat.completions.create, median per call',
      bento: `${fmt(callW * 1000, 0)} µs`,
      raw: `${fmt(callP * 1000, 0)} µs unwrapped (control client: ${fmt(callC * 1000, 0)} µs)`,
      result: `${fmt((callW - callP) * 1000, 0)} µs per call (${fmt(callW / callP, 2)}×); noise floor ${fmt((callC - callP) * 1000, 0)} µs`,
    },
    {
      name: `wrapOpenAI: ${CHUNKS}-chunk stream read to the end, median`,
      bento: `${fmt(streamW, 1)} ms`,
      raw: `${fmt(streamP, 1)} ms unwrapped (control: ${fmt(streamC, 1)} ms)`,
      result: `${fmt(chunkOverheadMicros, 2)} µs per chunk (${fmt(streamW / streamP, 2)}×); noise floor ${fmt(chunkNoiseMicros, 2)} µs`,
    },
    ...inMemory,
  ];
}

/**
 * The same calls with the client's `fetch` answering from memory: no sockets, so what remains is
 * the client's own work plus the wrapper's (span start, hooks, attribute encoding, span end).
 */
async function measureInMemory(OpenAI, wrapOpenAI) {
  const json = JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
  const chunk = (delta) =>
    `data: ${JSON.stringify({ id: 'c', model: 'gpt-test', choices: [{ index: 0, delta }] })}\n\n`;
  const sse = `${chunk({ role: 'assistant' })}${chunk({ content: ' tok' }).repeat(CHUNKS)}data: [DONE]\n\n`;
  const fetch = async (_url, init) =>
    JSON.parse(init.body).stream
      ? new Response(sse, { headers: { 'content-type': 'text/event-stream' } })
      : new Response(json, { headers: { 'content-type': 'application/json' } });
  const options = { apiKey: 'sk', baseURL: 'http://in-memory/v1', maxRetries: 0, fetch };
  const clients = { plain: new OpenAI(options), wrapped: wrapOpenAI(new OpenAI(options)) };
  const N = 300;
  const calls = async (client) => {
    const start = performance.now();
    for (let i = 0; i < N; i++) await client.chat.completions.create({ model: 'gpt-test', messages });
    return ((performance.now() - start) * 1000) / N;
  };
  const streamed = async (client) => {
    const start = performance.now();
    for await (const _ of await client.chat.completions.create({ model: 'gpt-test', messages, stream: true }));
    return ((performance.now() - start) * 1000) / CHUNKS;
  };
  const runs = { calls: { plain: [], wrapped: [] }, chunks: { plain: [], wrapped: [] } };
  for (let r = 0; r < 10; r++) {
    for (const side of r % 2 ? ['wrapped', 'plain'] : ['plain', 'wrapped']) {
      runs.calls[side].push(await calls(clients[side]));
      runs.chunks[side].push(await streamed(clients[side]));
    }
  }
  const row = (name, unit, key) => {
    const p = median(runs[key].plain);
    const w = median(runs[key].wrapped);
    return {
      name,
      bento: `${fmt(w, 2)} µs`,
      raw: `${fmt(p, 2)} µs unwrapped`,
      result: `${fmt(w - p, 2)} µs ${unit} (${fmt(w / p, 2)}×)`,
    };
  };
  return [
    row('wrapOpenAI, in-memory fetch: per call', 'per call', 'calls'),
    row(`wrapOpenAI, in-memory fetch: per chunk of a ${CHUNKS}-chunk stream`, 'per chunk', 'chunks'),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchIntegrations()));
}
