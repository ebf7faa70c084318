/**
 * A stand-in for an LLM client (OpenAI, Anthropic, Bedrock...). It answers deterministically after
 * a short delay, so the example runs offline; swap it for your real client.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

export interface Completion {
  text: string;
  usage: { inputTokens: number; outputTokens: number };
}

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

export async function complete(messages: ChatMessage[]): Promise<Completion> {
  await new Promise((resolve) => setTimeout(resolve, 15));
  const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const context = messages.find((m) => m.role === 'tool')?.content;
  const text = context
    ? `Based on our docs: ${context.slice(0, 120)}`
    : `You asked: "${question}". Could you tell me more?`;
  return {
    text,
    usage: { inputTokens: messages.reduce((n, m) => n + tokens(m.content), 0), outputTokens: tokens(text) },
  };
}
