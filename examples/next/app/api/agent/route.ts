/**
 * The same with the Vercel AI SDK 7: `bentoTelemetry()` records the `streamText` call as a chain
 * span with one LLM span per model call and one tool span per tool execution. The user and the
 * conversation come from `runtimeContext` (included for telemetry) unless the scope already has them.
 */
import { openai } from '@ai-sdk/openai';
import { wrapRouteHandler } from '@bentolabs/sdk/next';
import { bentoTelemetry } from '@bentolabs/sdk/ai';
import { stepCountIs, streamText, tool, jsonSchema } from 'ai';

export const POST = wrapRouteHandler(async (request: Request) => {
  const { prompt, userId, convoId } = (await request.json()) as { prompt: string; userId: string; convoId: string };
  const result = streamText({
    model: openai('gpt-4o-mini'),
    prompt,
    stopWhen: stepCountIs(3),
    tools: {
      get_weather: tool({
        description: 'The weather in a city',
        inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } } }),
        execute: async ({ city }) => ({ city, sky: 'sunny' }),
      }),
    },
    runtimeContext: { userId, convoId },
    telemetry: {
      functionId: 'support-agent',
      integrations: [bentoTelemetry()],
      includeRuntimeContext: { userId: true, convoId: true },
    },
  });
  return result.toTextStreamResponse();
});
