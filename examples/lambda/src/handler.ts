/**
 * An API Gateway (HTTP API) chat endpoint: each request is one turn of a conversation, recorded as
 * a BentoLabs trajectory with a tool call and an LLM call. `wrapHandler` makes sure all of it is
 * delivered before Lambda freezes the function, and even when the function times out.
 */
import { begin, trackAi } from '@bentolabs/sdk';
import { wrapHandler } from '@bentolabs/sdk/lambda';
import { complete, type ChatMessage } from './model.js';
import { searchDocs } from './tools.js';

interface ChatRequest {
  message: string;
  userId: string;
  convoId: string;
}

interface HttpEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function parse(event: HttpEvent): ChatRequest | undefined {
  try {
    const raw = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const body = JSON.parse(raw ?? '') as Partial<ChatRequest>;
    if (typeof body.message === 'string' && typeof body.userId === 'string' && typeof body.convoId === 'string')
      return body as ChatRequest;
  } catch {
    // fall through to the 400 below
  }
  return undefined;
}

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const handler = wrapHandler(async (event: HttpEvent): Promise<HttpResult> => {
  const request = parse(event);
  if (!request) return json(400, { error: 'Expected a JSON body with message, userId and convoId.' });
  const { message, userId, convoId } = request;

  const reply = await begin({ event: 'chat_turn', userId, convoId, input: message }, async (turn) => {
    const docs = await turn.toolSpan('search_docs', { input: { query: message } }, () => searchDocs(message));
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a helpful support assistant.' },
      ...(docs.length ? [{ role: 'tool' as const, content: docs.map((d) => d.text).join(' ') }] : []),
      { role: 'user', content: message },
    ];
    const started = Date.now();
    const completion = await complete(messages);
    trackAi({
      event: 'llm_call',
      model: 'gpt-4o-mini',
      provider: 'openai',
      input: messages,
      output: completion.text,
      startTime: started,
      usage: completion.usage,
      properties: { docs_found: docs.length },
    });
    turn.update({ output: completion.text, properties: { docs_found: docs.length } });
    return completion.text;
  });

  // recordedSpans lets the local demo check that everything arrived before the freeze.
  return json(200, { reply, recordedSpans: 3 });
});
