/** An LLM call's prompt and reply as a chat: roles, text, tool calls and tool results. */
import { html } from 'htm/preact';
import { parseChat, parseReply, type ChatMessage, type ChatPart } from '../../src/dev/chat.js';
import { parseJson } from '../../src/dev/shared.js';

/** Short JSON on one line (arguments usually are), longer JSON indented, anything else as-is. */
export function Json({ text }: { text: string }) {
  const value = parseJson(text);
  if (value === undefined) return html`<pre>${text}</pre>`;
  const flat = JSON.stringify(value);
  return flat.length <= 90
    ? html`<code class="inline-json">${flat}</code>`
    : html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
}

function Part({ part }: { part: ChatPart }) {
  if (part.type === 'text') return html`<div class="msg-text">${part.text}</div>`;
  if (part.type === 'tool_call')
    return html`<div class="tool-call" data-testid="tool-call">
      <div class="tool-head">
        → calls <strong class="mono">${part.name}</strong>${part.id && html` <span class="muted mono">${part.id}</span>`}
      </div>
      <${Json} text=${part.args} />
    </div>`;
  return html`<div class="tool-call result">
    <div class="tool-head">← tool result${part.id && html` <span class="muted mono">${part.id}</span>`}</div>
    <${Json} text=${part.content} />
  </div>`;
}

export function Message({ message }: { message: ChatMessage }) {
  return html`<div class=${`msg msg-${message.role}`} data-testid="chat-message" data-role=${message.role}>
    <span class="role">${message.role}</span>
    ${message.parts.map((p) => html`<${Part} part=${p} />`)}
  </div>`;
}

/** The prompt and the reply, or `undefined` when the input is not a prompt (the caller shows JSON). */
export function Chat({ input, output }: { input: unknown; output: unknown }) {
  const prompt = parseChat(input);
  const reply = parseReply(output);
  if (!prompt && !reply) return null;
  return html`<div class="chat" data-testid="chat">
    ${prompt?.map((m) => html`<${Message} message=${m} />`)}
    ${reply && html`<div class="reply-label">reply</div><${Message} message=${reply} />`}
  </div>`;
}
