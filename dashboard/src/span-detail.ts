/** The selected span: its headline facts, its messages as a chat, and every attribute. */
import { html } from 'htm/preact';
import { ATTR } from '../../src/core/keys.js';
import type { SpanNode } from './api.js';
import { Chat, Json } from './chat-view.js';
import { parseChat, parseReply } from '../../src/dev/chat.js';
import { Badge, Fact, Tokens } from './common.js';
import { formatCost, formatDuration, formatTokens, prettyIfJson, time } from './format.js';

function Value({ value, type }: { value: unknown; type?: string }) {
  if (typeof value === 'string') {
    const pretty = prettyIfJson(value);
    if (pretty) return html`<pre>${pretty}</pre>`;
    return value.length > 120 || value.includes('\n') ? html`<pre>${value}</pre>` : html`<span>${value}</span>`;
  }
  if (Array.isArray(value) || (value && typeof value === 'object'))
    return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
  return html`<span class=${`v-${type ?? typeof value}`}>${String(value)}</span>`;
}

// The fields a BentoLabs user passes come first; infrastructure attributes (faas.*, cloud.*) after.
const FIRST: string[] = [ATTR.userId, ATTR.convoId, ATTR.model, ATTR.provider, ATTR.kind, ATTR.input, ATTR.output];
const rank = (k: string) => {
  const i = FIRST.indexOf(k);
  return i === -1 ? (/^(faas|cloud|bentolabs)\./.test(k) ? 200 : 100) : i;
};

function AttributeTable({
  attrs,
  types,
  testid,
}: {
  attrs: Record<string, unknown>;
  types?: Record<string, { type: string }>;
  testid: string;
}) {
  const keys = Object.keys(attrs).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  if (keys.length === 0) return html`<p class="muted">none</p>`;
  return html`<table class="attrs" data-testid=${testid}>
    <tbody>${keys.map(
      (k) => html`<tr data-testid="attr-row" data-key=${k}>
      <th>${k}${types?.[k] && html`<small>${types[k]!.type}</small>`}</th>
      <td><${Value} value=${attrs[k]} type=${types?.[k]?.type} /></td>
    </tr>`,
    )}</tbody>
  </table>`;
}

/** Input and output of a non-LLM span (a tool's arguments and result, a trajectory's question and answer). */
function InputOutput({ span }: { span: SpanNode }) {
  const input = span.attributes[ATTR.input];
  const output = span.attributes[ATTR.output];
  if (input === undefined && output === undefined) return null;
  return html`<div class="io-pair" data-testid="span-io">
    ${input !== undefined && html`<h4>Input</h4><${Json} text=${String(input)} />`}
    ${output !== undefined && html`<h4>Output</h4><${Json} text=${String(output)} />`}
  </div>`;
}

function Status({ span }: { span: SpanNode }) {
  if (span.status?.code !== 2) return 'ok';
  return html`<span class="status status-error">error${span.status.message ? `: ${span.status.message}` : ''}</span>`;
}

function SpanTokens({ span }: { span: SpanNode }) {
  const extra = [
    span.cacheReadTokens && `${formatTokens(span.cacheReadTokens)} cached`,
    span.reasoningTokens && `${formatTokens(span.reasoningTokens)} reasoning`,
  ].filter(Boolean);
  return html`<${Fact} label="Tokens in → out" testid="span-tokens">
    <${Tokens} ...${span} />${extra.length > 0 && html` <span class="muted small">(${extra.join(', ')})</span>`}
  <//>`;
}

export function SpanDetail({ span, offsetMillis }: { span: SpanNode; offsetMillis: number }) {
  const a = span.attributes;
  const llm = span.category === 'llm';
  const chat = llm && (parseChat(a[ATTR.input]) || parseReply(a[ATTR.output]));
  const provider = a[ATTR.provider] !== undefined ? ` (${String(a[ATTR.provider])})` : '';
  const unpriced = html`<span class="muted" title="No price for this model, or no token counts (see --prices)">unpriced</span>`;
  const events = span.events ?? [];
  return html`<div class="detail" data-testid="span-detail" data-span-name=${span.name}>
    <h3><${Badge} kind=${span.category} /> ${span.name}</h3>
    <dl class="facts">
      <${Fact} label="Duration">${formatDuration(span.durationMillis)}<//>
      <${Fact} label="Starts at">+${formatDuration(offsetMillis)}<//>
      ${llm && html`<${Fact} label="Model">${String(a[ATTR.model] ?? '?')}${provider}<//>`}
      ${(span.inputTokens !== undefined || span.outputTokens !== undefined) && html`<${SpanTokens} span=${span} />`}
      ${llm && html`<${Fact} label="Cost" testid="span-cost">${span.costUsd !== undefined ? formatCost(span.costUsd) : unpriced}<//>`}
      <${Fact} label="Status"><${Status} span=${span} /><//>
      <${Fact} label="Span" mono>${span.spanId}<//>
      ${
        span.parentSpanId &&
        html`<${Fact} label="Parent" mono>
          ${span.parentSpanId}${span.missingParent && html` <span class="warn-text">not received</span>`}
        <//>`
      }
    </dl>
    ${
      chat
        ? html`<h4>Messages</h4><${Chat} input=${a[ATTR.input]} output=${a[ATTR.output]} />`
        : html`<${InputOutput} span=${span} />`
    }
    <details open=${!llm}>
      <summary><h4>Attributes</h4></summary>
      <${AttributeTable} attrs=${span.attributes} types=${span.typedAttributes} testid="span-attributes" />
    </details>
    ${events.length > 0 && html`<h4>Events</h4>`}
    ${events.map(
      (e) => html`<div class="event">
        <strong>${e.name}</strong><${AttributeTable} attrs=${e.attributes} testid="event-attributes" />
      </div>`,
    )}
    <details>
      <summary><h4>Resource</h4></summary>
      <${AttributeTable} attrs=${span.resource ?? {}} testid="resource-attributes" />
    </details>
    <p class="muted small">Scope ${span.scope?.name} ${span.scope?.version ?? ''} · received ${time(span.receivedAt)}</p>
  </div>`;
}
