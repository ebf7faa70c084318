/**
 * A Next.js App Router route that streams a chat answer from OpenAI. `wrapOpenAI` records the
 * call as an LLM span that ends when the stream has been read (answer assembled, tokens, time to
 * first chunk); `wrapRouteHandler` delivers it after the response, through Next's `after()` on
 * Vercel and other serverless hosts, without delaying the first byte.
 */
import { begin } from '@bentolabs/sdk';
import { wrapRouteHandler } from '@bentolabs/sdk/next';
import { wrapOpenAI } from '@bentolabs/sdk/openai';
import OpenAI from 'openai';

const openai = wrapOpenAI(new OpenAI());

export const POST = wrapRouteHandler(async (request: Request) => {
  const { prompt, userId, convoId } = (await request.json()) as { prompt: string; userId?: string; convoId?: string };
  return begin({ event: 'chat_turn', userId, convoId, input: prompt }, async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    // The answer's text, chunk by chunk, as the response body.
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta.content;
          if (text) controller.enqueue(encoder.encode(text));
        }
        controller.close();
      },
      cancel: () => stream.controller.abort(),
    });
    return new Response(body, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
  });
});
