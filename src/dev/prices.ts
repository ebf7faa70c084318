/**
 * Cost of an LLM call from its token counts and a price table: a small built-in table of list
 * prices, extended or overridden by the user's JSON file (`bentolabs dev --prices file.json`).
 * Browser-safe (no Node imports): the file is read by the CLI, the table is plain data.
 */

/** US dollars per million tokens. `cachedInput` applies to cache-read input tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

export type PriceTable = Record<string, ModelPrice>;

/**
 * Public list prices (USD per 1M tokens, standard tier) as published by OpenAI and Anthropic in
 * 2025. Estimates for local debugging, not billing: providers change prices, batch and regional
 * tiers differ. Override any entry with `--prices`.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cachedInput: 0.08 },
  'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 },
  'claude-3-5-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-3-7-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3 },
  'claude-opus-4': { input: 15, output: 75, cachedInput: 1.5 },
};

/** Usage of one call, as read from its span. `input` includes the cache-read tokens (SPEC §10). */
export interface TokenUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  reasoning?: number;
}

/**
 * The entry for a model id: an exact key, else the longest key the id starts with at a word
 * boundary, also after a vendor prefix (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`,
 * `us.anthropic.claude-3-5-haiku-20241022-v1:0` → `claude-3-5-haiku`, `openai/gpt-4o` → `gpt-4o`).
 */
export function priceOf(model: string | undefined, table: PriceTable): ModelPrice | undefined {
  if (!model) return undefined;
  const id = model.toLowerCase();
  if (table[id]) return table[id];
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    const k = key.toLowerCase();
    const at = id.indexOf(k);
    if (at === -1) continue;
    const before = at === 0 ? '' : id[at - 1];
    const after = id[at + k.length] ?? '';
    // `gpt-4o` must not price `gpt-4o-mini`: the match ends at a date/version suffix or the end.
    const boundedBefore = before === '' || before === '.' || before === '/';
    const boundedAfter = after === '' || /^[-:@.]\d/.test(id.slice(at + k.length)) || after === ':';
    if (boundedBefore && boundedAfter && (!best || k.length > best.length)) best = key;
  }
  return best ? table[best] : undefined;
}

/** US dollars, or `undefined` when the model has no price or the call no token counts. */
export function costOf(usage: TokenUsage, price: ModelPrice | undefined): number | undefined {
  if (!price || (usage.input === undefined && usage.output === undefined)) return undefined;
  const cached = Math.min(usage.cacheRead ?? 0, usage.input ?? 0);
  const fresh = (usage.input ?? 0) - cached;
  // Reasoning tokens are part of the output tokens the APIs report, so they are not added again.
  return (fresh * price.input + cached * (price.cachedInput ?? price.input) + (usage.output ?? 0) * price.output) / 1e6;
}

/** Checks a user's price file; throws a message naming the bad entry. */
export function parsePriceTable(text: string, source: string): PriceTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${source}: expected an object of { "<model>": { "input": <usd/1M>, "output": <usd/1M> } }.`);
  const table: PriceTable = {};
  for (const [model, entry] of Object.entries(value)) {
    const e = entry as Partial<ModelPrice> | null;
    const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    if (!e || !ok(e.input) || !ok(e.output) || (e.cachedInput !== undefined && !ok(e.cachedInput)))
      throw new Error(
        `${source}: "${model}" needs numeric "input" and "output" (USD per 1M tokens), optional "cachedInput"; ` +
          `got ${JSON.stringify(entry)}.`,
      );
    table[model] = {
      input: e.input!,
      output: e.output!,
      ...(e.cachedInput !== undefined && { cachedInput: e.cachedInput }),
    };
  }
  return table;
}
