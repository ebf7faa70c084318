/**
 * Tokens and cost: read from each LLM span's `gen_ai.usage.*` attributes, priced with the price
 * table, and summed per trace, session, user and list.
 */
import { ATTR } from '../core/keys.js';
import { costOf, priceOf, type PriceTable } from './prices.js';
import { defined } from './shared.js';
import type { StoredSpan } from './store.js';

/** Tokens and cost of a set of spans. */
export interface Usage {
  /** LLM calls counted (spans with a model, a provider, token counts or kind `llm`). */
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, read from the provider's prompt cache. */
  cacheReadTokens: number;
  /** Of `outputTokens`, spent on reasoning. */
  reasoningTokens: number;
  /** US dollars of the priced calls. */
  costUsd: number;
  /** Models of calls that had tokens but no price: their cost is missing from `costUsd`. */
  unpricedModels: string[];
}

/** One span's own usage fields (all absent when it reported none). */
export interface SpanUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  reasoningTokens?: number;
  costUsd?: number;
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

export function emptyUsage(): Usage {
  return {
    llmCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    unpricedModels: [],
  };
}

/** Token counts and cost of one span; cost only when its model has a price. */
export function spanUsage(span: StoredSpan, prices: PriceTable): SpanUsage {
  const a = span.attributes;
  const tokens = {
    inputTokens: num(a[ATTR.inputTokens]),
    outputTokens: num(a[ATTR.outputTokens]),
    cacheReadTokens: num(a[ATTR.cacheReadTokens]),
    reasoningTokens: num(a[ATTR.reasoningTokens]),
  };
  const model = a[ATTR.responseModel] ?? a[ATTR.model];
  const usage = { input: tokens.inputTokens, output: tokens.outputTokens, cacheRead: tokens.cacheReadTokens };
  const costUsd = costOf(usage, priceOf(typeof model === 'string' ? model : undefined, prices));
  return defined({ ...tokens, costUsd });
}

/** Adds one LLM call's usage to a running total. */
export function addCall(total: Usage, span: StoredSpan, own: SpanUsage): void {
  total.llmCalls++;
  total.inputTokens += own.inputTokens ?? 0;
  total.outputTokens += own.outputTokens ?? 0;
  total.cacheReadTokens += own.cacheReadTokens ?? 0;
  total.reasoningTokens += own.reasoningTokens ?? 0;
  if (own.costUsd !== undefined) total.costUsd += own.costUsd;
  else if (own.inputTokens !== undefined || own.outputTokens !== undefined) {
    const model = String(span.attributes[ATTR.model] ?? 'no model');
    if (!total.unpricedModels.includes(model)) total.unpricedModels.push(model);
  }
}

/** Sums usages (of traces into a session, user or list). */
export function sumUsage(parts: Usage[]): Usage {
  const total = emptyUsage();
  for (const u of parts) {
    total.llmCalls += u.llmCalls;
    total.inputTokens += u.inputTokens;
    total.outputTokens += u.outputTokens;
    total.cacheReadTokens += u.cacheReadTokens;
    total.reasoningTokens += u.reasoningTokens;
    total.costUsd += u.costUsd;
    for (const m of u.unpricedModels) if (!total.unpricedModels.includes(m)) total.unpricedModels.push(m);
  }
  return total;
}
