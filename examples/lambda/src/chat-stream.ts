/**
 * A streamed chat answer from Lambda (a Function URL with `InvokeMode: RESPONSE_STREAM`): the
 * OpenAI client is wrapped with `wrapOpenAI`, so every model call is an LLM span (model, tokens,
 * time to first chunk, the answer assembled from the chunks) without a hand-written `trackAi`.
 * The span ends when the stream has been read; `wrapHandler` delivers it after the response
 * stream has ended and before Lambda freezes the function.
 *
 * Environment: `OPENAI_API_KEY` (and `OPENAI_BASE_URL` for a compatible endpoint), `OPENAI_MODEL`,
 * `BENTOLABS_API_KEY`.
 */
import { begin } from '@bentolabs/sdk';
import { wrapHandler } from '@bentolabs/sdk/lambda';
import { wrapOpenAI } from '@bentolabs/sdk/openai';
import OpenAI from 'openai';

/** What the Node.js runtime puts on `globalThis` for response streaming. */
interface ResponseStream {
  write(chunk: string): void;
  end(): void;
}
declare const awslambda: {
  streamifyResponse(
    handler: (event: { body?: string | null }, responseStream: ResponseStream) => Promise<void>,
  ): (...args: never[]) => unknown;
  HttpResponseStream: {
    from(stream: ResponseStream, prelude: { statusCode: number; headers: Record<string, string> }): ResponseStream;
  };
};

// Created once per container; reads OPENAI_API_KEY and OPENAI_BASE_URL from the environment.
const openai = wrapOpenAI(new OpenAI());

export const handler = wrapHandler(
  awslambda.streamifyResponse(async (event, responseStream) => {
    const { message = 'Hello!', userId, convoId } = JSON.parse(event.body || '{}') as Record<string, string>;
    const out = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    await begin({ event: 'chat_turn', userId, convoId, input: message }, async (turn) => {
      const stream = await openai.chat.completions.create({
        model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'You are a helpful support assistant.' },
          { role: 'user', content: message },
        ],
        stream: true,
        // Token counts of a streamed answer come in a last chunk only when asked for.
        stream_options: { include_usage: true },
      });
      let answer = '';
      for await (const chunk of stream) {
        const text = chunk.choices[0]?.delta.content;
        if (!text) continue;
        answer += text;
        out.write(text);
      }
      turn.update({ output: answer });
    });
    out.end();
  }),
);
