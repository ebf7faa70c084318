/**
 * Reads an LLM span's `input.value` / `output.value` as chat messages with roles and tool calls,
 * whichever shape the app or integration wrote: OpenAI chat messages (`tool_calls`, role
 * `tool`), the Responses API (`function_call` items), Anthropic (`system` + `messages`,
 * `tool_use` / `tool_result` blocks), the Vercel AI SDK (`tool-call` / `tool-result` parts), or
 * plain text. Browser-safe: the dashboard renders these, the server uses them for previews.
 */
import { parseJson } from './shared.js';

export type ChatPart =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; name: string; args: string; id?: string }
  | { type: 'tool_result'; content: string; id?: string };

export interface ChatMessage {
  role: string;
  parts: ChatPart[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v, null, 2));
const optId = (v: unknown) => (typeof v === 'string' ? { id: v } : {});

/** One content block of any of the supported shapes. */
function part(block: unknown): ChatPart | undefined {
  if (typeof block === 'string') return { type: 'text', text: block };
  if (!isObj(block)) return undefined;
  const t = block.type;
  if (typeof block.text === 'string' && (t === undefined || /text$/.test(String(t))))
    return { type: 'text', text: block.text };
  // `tool_call`: the shape the SDK's integrations write (wrapOpenAI, wrapAnthropic, bentoTelemetry).
  if (t === 'tool_use' || t === 'tool-call' || t === 'function_call' || t === 'tool_call')
    return {
      type: 'tool_call',
      name: String(block.name ?? block.toolName ?? '?'),
      args: text(block.input ?? block.args ?? block.arguments),
      ...optId(block.id ?? block.toolCallId ?? block.call_id),
    };
  if (t === 'tool_result' || t === 'tool-result' || t === 'function_call_output') {
    const content = block.content ?? block.output ?? block.result;
    const inner = Array.isArray(content) ? content.map(part).filter(Boolean) : undefined;
    return {
      type: 'tool_result',
      content: inner?.length ? inner.map((p) => (p!.type === 'text' ? p!.text : text(p))).join('\n') : text(content),
      ...optId(block.tool_use_id ?? block.toolCallId ?? block.call_id),
    };
  }
  if (t === 'image_url' || t === 'image' || t === 'input_image') return { type: 'text', text: '[image]' };
  return { type: 'text', text: text(block) };
}

function toolCalls(calls: unknown): ChatPart[] {
  if (!Array.isArray(calls)) return [];
  return calls.filter(isObj).map((c) => {
    const fn = isObj(c.function) ? c.function : c;
    return { type: 'tool_call', name: String(fn.name ?? '?'), args: text(fn.arguments ?? fn.args), ...optId(c.id) };
  });
}

/** A message object, or a Responses API item, as one chat message. */
function message(m: unknown): ChatMessage | undefined {
  if (!isObj(m)) return undefined;
  if (m.role === undefined) {
    const p = part(m);
    if (!p || p.type === 'text') return undefined;
    return { role: p.type === 'tool_call' ? 'assistant' : 'tool', parts: [p] };
  }
  const content = m.content;
  const parts: ChatPart[] = [];
  if (Array.isArray(content)) for (const b of content) parts.push(...[part(b)].filter((p): p is ChatPart => !!p));
  else if (content !== undefined && content !== null) {
    parts.push(
      m.role === 'tool' ? { type: 'tool_result', content: text(content), ...optId(m.tool_call_id) } : part(content)!,
    );
  }
  parts.push(...toolCalls(m.tool_calls));
  return { role: String(m.role), parts };
}

function messages(list: unknown[]): ChatMessage[] | undefined {
  const out = list.map(message);
  return out.length > 0 && out.every(Boolean) ? (out as ChatMessage[]) : undefined;
}

/** Chat messages of an `input.value`, or `undefined` when it is not a prompt (render it as JSON). */
export function parseChat(value: unknown): ChatMessage[] | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const json = parseJson(value);
  if (json === undefined) return [{ role: 'user', parts: [{ type: 'text', text: value }] }];
  if (Array.isArray(json)) return messages(json);
  if (!isObj(json)) return undefined;
  const system = json.system ?? json.instructions;
  const head: ChatMessage[] = system
    ? [
        {
          role: 'system',
          parts: Array.isArray(system) ? system.map(part).filter((p): p is ChatPart => !!p) : [part(system)!],
        },
      ]
    : [];
  const body = json.messages ?? json.input ?? json.prompt;
  if (typeof body === 'string') return [...head, { role: 'user', parts: [{ type: 'text', text: body }] }];
  const list = Array.isArray(body) ? messages(body) : undefined;
  return list ? [...head, ...list] : undefined;
}

/** An `output.value` as the assistant's reply: text, tool calls, or both. */
export function parseReply(value: unknown): ChatMessage | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const json = parseJson(value);
  if (json === undefined) return { role: 'assistant', parts: [{ type: 'text', text: value }] };
  const list = Array.isArray(json) ? json : [json];
  const parts: ChatPart[] = [];
  for (const item of list) {
    if (isObj(item) && (item.role !== undefined || item.tool_calls !== undefined || item.content !== undefined)) {
      parts.push(...(message({ role: 'assistant', ...item })?.parts ?? []));
    } else {
      const p = isObj(item) && isObj(item.function) ? toolCalls([item])[0] : part(item);
      if (p) parts.push(p);
    }
  }
  return parts.length ? { role: 'assistant', parts } : undefined;
}

/** The last thing the user said in a prompt: what an LLM call was asked. */
export function lastUserText(value: unknown): string | undefined {
  const chat = parseChat(value);
  const user = chat?.filter((m) => m.role === 'user').at(-1);
  const t = user?.parts.find((p) => p.type === 'text');
  return t?.type === 'text' ? t.text : undefined;
}
