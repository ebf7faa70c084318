/**
 * A fake LLM provider on 127.0.0.1 that speaks the wire formats of OpenAI Chat Completions,
 * OpenAI Responses and Anthropic Messages: JSON answers and SSE streams, tool calls, usage with
 * cached and reasoning tokens, and 429/500 errors. Real client libraries point at it with
 * `baseURL`. The scenario is chosen by the request's `model`:
 *
 * - any model: the text answer `ANSWER`, streamed in `CHUNKS`;
 * - a model containing `tools`: a `get_weather` tool call, or `TOOL_ANSWER` once the request
 *   carries the tool's result (so an agent loop gets to a second step);
 * - a model containing `json`: the JSON text `TOOL_ARGS` (for structured output);
 * - `chunks-<n>`: an answer of n words (n streamed chunks), for the benchmark;
 * - `error-429` / `error-500`: that HTTP status with the provider's error body;
 * - `stall`: a stream that sends its first chunk and then waits until the client goes away;
 * - `midstream-error`: a stream that fails after its first chunk with an error event.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ANSWER = 'Hello from the fake server.';
export const CHUNKS = ['Hello', ' from', ' the', ' fake', ' server.'];
export const TOOL_ANSWER = 'It is sunny in Paris.';
export const TOOL_ARGS = '{"city":"Paris"}';
/** Usage every answer reports: OpenAI counts cached tokens inside `prompt_tokens`/`input_tokens`. */
export const USAGE = { input: 20, cached: 8, output: 9, reasoning: 3 };
/** Anthropic reports cache reads and writes beside `input_tokens`: all input = 12 + 8 + 5. */
export const ANTHROPIC_USAGE = { input: 12, cacheRead: 8, cacheWrite: 5, output: 9 };
/** The answering model: the requested one with a date suffix, as the real APIs do. */
export const responseModel = (model: string): string => `${model}-2026-01-01`;

export interface FakeRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Api = 'chat' | 'responses' | 'anthropic';

export class FakeLlmServer {
  readonly requests: FakeRequest[] = [];
  /** Resolvers waiting for a stalled stream's client to disconnect. */
  private readonly disconnects: Array<() => void> = [];

  private readonly server: Server;
  readonly url: string;

  // Plain fields rather than parameter properties: the benchmark loads this file with Node's type stripping.
  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(): Promise<FakeLlmServer> {
    let fake: FakeLlmServer | undefined;
    const server = createServer((req, res) => void fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeLlmServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** `baseURL` for the OpenAI client (its paths start after `/v1`). */
  get openaiBaseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Resolves when a stalled stream's client has gone away (cancelled). */
  nextDisconnect(): Promise<void> {
    return new Promise((resolve) => this.disconnects.push(resolve));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Record<string, unknown>;
    const path = (req.url ?? '').split('?')[0] ?? '';
    this.requests.push({ path, headers: req.headers, body });
    const api: Api | undefined =
      path === '/v1/chat/completions'
        ? 'chat'
        : path === '/v1/responses'
          ? 'responses'
          : path === '/v1/messages'
            ? 'anthropic'
            : undefined;
    if (!api) return void res.writeHead(404).end();
    const model = String(body.model ?? '');
    if (model === 'error-429' || model === 'error-500') return fail(res, api, model === 'error-429' ? 429 : 500);
    const turn = answerFor(api, body);
    if (body.stream !== true) return json(res, 200, FORMATS[api].json(model, turn));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const events = FORMATS[api].stream(model, turn, body);
    if (model === 'stall' || model === 'midstream-error') {
      // The opening events and the first content chunk, then stall or fail.
      const firstContent = events.findIndex((e) => JSON.stringify(e.data).includes(CHUNKS[0]!));
      for (const e of events.slice(0, firstContent + 1)) sse(res, e);
      if (model === 'midstream-error') {
        sse(res, FORMATS[api].streamError());
        return void res.end();
      }
      res.on('close', () => {
        for (const resolve of this.disconnects.splice(0)) resolve();
      });
      return;
    }
    for (const e of events) sse(res, e);
    if (api === 'chat') res.write('data: [DONE]\n\n');
    res.end();
  }
}

interface Turn {
  text?: string;
  tool?: { id: string; name: string; args: string };
}

interface SseEvent {
  event?: string;
  data: unknown;
}

/** A tool call until the request carries the tool's result, then the final answer. */
function answerFor(api: Api, body: Record<string, unknown>): Turn {
  const many = /^chunks-(\d+)$/.exec(String(body.model ?? ''));
  if (many) return { text: ' tok'.repeat(Number(many[1])) };
  if (String(body.model ?? '').includes('json')) return { text: TOOL_ARGS };
  if (!String(body.model ?? '').includes('tools')) return { text: ANSWER };
  const sent = JSON.stringify(body.messages ?? body.input ?? []);
  const hasResult =
    api === 'chat'
      ? sent.includes('"role":"tool"')
      : api === 'responses'
        ? sent.includes('function_call_output')
        : sent.includes('tool_result');
  return hasResult ? { text: TOOL_ANSWER } : { tool: { id: 'call_weather_1', name: 'get_weather', args: TOOL_ARGS } };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function sse(res: ServerResponse, e: SseEvent): void {
  res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`);
}

function fail(res: ServerResponse, api: Api, status: 429 | 500): void {
  const message = status === 429 ? 'Rate limit reached for requests' : 'The server had an error';
  const headers = { 'retry-after': '0', 'x-request-id': `req_fake_${status}` };
  if (api === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : 'api_error';
    json(res, status, { type: 'error', error: { type, message } }, headers);
    return;
  }
  json(res, status, { error: { message, type: status === 429 ? 'requests' : 'server_error', code: null } }, headers);
}

const created = 1_764_590_400;

const chatUsage = {
  prompt_tokens: USAGE.input,
  completion_tokens: USAGE.output,
  total_tokens: USAGE.input + USAGE.output,
  prompt_tokens_details: { cached_tokens: USAGE.cached },
  completion_tokens_details: { reasoning_tokens: USAGE.reasoning },
};

const responsesUsage = {
  input_tokens: USAGE.input,
  input_tokens_details: { cached_tokens: USAGE.cached },
  output_tokens: USAGE.output,
  output_tokens_details: { reasoning_tokens: USAGE.reasoning },
  total_tokens: USAGE.input + USAGE.output,
};

const anthropicUsage = {
  input_tokens: ANTHROPIC_USAGE.input,
  cache_read_input_tokens: ANTHROPIC_USAGE.cacheRead,
  cache_creation_input_tokens: ANTHROPIC_USAGE.cacheWrite,
  output_tokens: ANTHROPIC_USAGE.output,
};

function chatJson(model: string, turn: Turn): unknown {
  const message = turn.tool
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: turn.tool.id, type: 'function', function: { name: turn.tool.name, arguments: turn.tool.args } },
        ],
      }
    : { role: 'assistant', content: turn.text, refusal: null };
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created,
    model: responseModel(model),
    choices: [{ index: 0, message, logprobs: null, finish_reason: turn.tool ? 'tool_calls' : 'stop' }],
    usage: chatUsage,
  };
}

function chatStream(model: string, turn: Turn, body: Record<string, unknown>): SseEvent[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model: responseModel(model) };
  const chunk = (delta: unknown, finish: string | null = null) => ({
    data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] },
  });
  const events: SseEvent[] = [chunk({ role: 'assistant', content: '' })];
  if (turn.tool) {
    const { id, name, args } = turn.tool;
    events.push(chunk({ tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] }));
    for (const part of [args.slice(0, 8), args.slice(8)])
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: part } }] }));
  } else {
    for (const text of splitAnswer(turn.text!)) events.push(chunk({ content: text }));
  }
  events.push(chunk({}, turn.tool ? 'tool_calls' : 'stop'));
  const options = body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) events.push({ data: { ...base, choices: [], usage: chatUsage } });
  return events;
}

function responsesOutput(turn: Turn): unknown[] {
  if (turn.tool)
    return [
      {
        type: 'function_call',
        id: 'fc_fake_1',
        call_id: turn.tool.id,
        name: turn.tool.name,
        arguments: turn.tool.args,
        status: 'completed',
      },
    ];
  return [
    {
      type: 'message',
      id: 'msg_fake_1',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: turn.text, annotations: [], logprobs: [] }],
    },
  ];
}

function responsesJson(model: string, turn: Turn, status = 'completed'): Record<string, unknown> {
  return {
    id: 'resp_fake',
    object: 'response',
    created_at: created,
    status,
    model: responseModel(model),
    output: status === 'completed' ? responsesOutput(turn) : [],
    usage: status === 'completed' ? responsesUsage : null,
    incomplete_details: null,
    error: null,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
  };
}

function responsesStream(model: string, turn: Turn): SseEvent[] {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>): SseEvent => ({
    event: type,
    data: { type, sequence_number: seq++, ...data },
  });
  const events = [
    ev('response.created', { response: responsesJson(model, turn, 'in_progress') }),
    ev('response.in_progress', { response: responsesJson(model, turn, 'in_progress') }),
  ];
  const [item] = responsesOutput(turn) as Array<Record<string, unknown>>;
  if (turn.tool) {
    events.push(ev('response.output_item.added', { output_index: 0, item: { ...item, arguments: '' } }));
    events.push(
      ev('response.function_call_arguments.delta', { item_id: 'fc_fake_1', output_index: 0, delta: turn.tool.args }),
    );
    events.push(
      ev('response.function_call_arguments.done', { item_id: 'fc_fake_1', output_index: 0, arguments: turn.tool.args }),
    );
  } else {
    events.push(
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    );
    const part = { type: 'output_text', text: '', annotations: [] };
    events.push(ev('response.content_part.added', { item_id: 'msg_fake_1', output_index: 0, content_index: 0, part }));
    for (const delta of splitAnswer(turn.text!))
      events.push(
        ev('response.output_text.delta', {
          item_id: 'msg_fake_1',
          output_index: 0,
          content_index: 0,
          delta,
          logprobs: [],
        }),
      );
    events.push(
      ev('response.output_text.done', { item_id: 'msg_fake_1', output_index: 0, content_index: 0, text: turn.text }),
    );
  }
  events.push(ev('response.output_item.done', { output_index: 0, item }));
  events.push(ev('response.completed', { response: responsesJson(model, turn) }));
  return events;
}

function anthropicContent(turn: Turn): unknown[] {
  if (turn.tool)
    return [{ type: 'tool_use', id: 'toolu_fake_1', name: turn.tool.name, input: JSON.parse(turn.tool.args) }];
  return [{ type: 'text', text: turn.text }];
}

function anthropicJson(model: string, turn: Turn): unknown {
  return {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: responseModel(model),
    content: anthropicContent(turn),
    stop_reason: turn.tool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage,
  };
}

function anthropicStream(model: string, turn: Turn): SseEvent[] {
  const ev = (type: string, data: Record<string, unknown>): SseEvent => ({ event: type, data: { type, ...data } });
  const start = { ...(anthropicJson(model, turn) as object), content: [], stop_reason: null };
  const events = [ev('message_start', { message: { ...start, usage: { ...anthropicUsage, output_tokens: 1 } } })];
  if (turn.tool) {
    const block = { type: 'tool_use', id: 'toolu_fake_1', name: turn.tool.name, input: {} };
    events.push(ev('content_block_start', { index: 0, content_block: block }));
    for (const part of [turn.tool.args.slice(0, 8), turn.tool.args.slice(8)])
      events.push(ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: part } }));
  } else {
    events.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    for (const text of splitAnswer(turn.text!))
      events.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }));
  }
  events.push(ev('content_block_stop', { index: 0 }));
  events.push(
    ev('message_delta', {
      delta: { stop_reason: turn.tool ? 'tool_use' : 'end_turn', stop_sequence: null },
      usage: { output_tokens: ANTHROPIC_USAGE.output },
    }),
  );
  events.push(ev('message_stop', {}));
  return events;
}

/** The answer in `CHUNKS` when it is `ANSWER`, else word by word. */
function splitAnswer(text: string): string[] {
  return text === ANSWER ? CHUNKS : text.split(/(?= )/);
}

const FORMATS: Record<
  Api,
  {
    json(model: string, turn: Turn): unknown;
    stream(model: string, turn: Turn, body: Record<string, unknown>): SseEvent[];
    streamError(): SseEvent;
  }
> = {
  chat: {
    json: chatJson,
    stream: chatStream,
    streamError: () => ({ data: { error: { message: 'The stream broke', type: 'server_error', code: null } } }),
  },
  responses: {
    json: (model, turn) => responsesJson(model, turn),
    stream: responsesStream,
    streamError: () => ({
      event: 'error',
      data: { type: 'error', code: 'server_error', message: 'The stream broke', param: null, sequence_number: 99 },
    }),
  },
  anthropic: {
    json: anthropicJson,
    stream: anthropicStream,
    streamError: () => ({
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'The stream broke' } },
    }),
  },
};
