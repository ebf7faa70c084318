/**
 * Plain-text trees of trajectories, as `bentolabs dev` prints them and `?format=text` serves
 * them: one line per span (name, kind, model/provider, user/conversation, duration, status)
 * and one line of short input/output previews.
 */
import { ATTR } from '../core/keys.js';
import type { PriceTable } from './prices.js';
import { formatCost, formatDuration, preview } from './shared.js';
import type { StoredSpan } from './store.js';
import { buildTree, summarize, type SpanNode } from './views.js';

export interface RenderOptions {
  /** ANSI colours. @default false */
  color?: boolean;
  /** Only these span ids (and the path to them) are printed: the addendum for late children. */
  only?: Set<string>;
  /** Longest input/output preview, in characters. @default 72 */
  previewChars?: number;
  /** Prices for the cost shown after token counts. @default DEFAULT_PRICES */
  prices?: PriceTable;
}

const ANSI = {
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
};
type Paint = (style: keyof typeof ANSI, text: string) => string;

const CATEGORY_STYLE = { trajectory: 'magenta', llm: 'cyan', tool: 'yellow', event: 'blue' } as const;

/** The tree of one trace as lines (no trailing newline). */
export function renderTrace(spans: StoredSpan[], options: RenderOptions = {}): string {
  const paint: Paint = options.color ? (style, text) => `${ANSI[style]}${text}${ANSI.reset}` : (_style, text) => text;
  const max = options.previewChars ?? 72;
  const lines: string[] = [];
  const roots = buildTree(spans);
  const keep = options.only ? pathsTo(roots, options.only) : undefined;
  const visit = (node: SpanNode, prefix: string, last: boolean, depth: number, parent?: SpanNode) => {
    if (keep && !keep.has(node.spanId)) return;
    const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const context = keep && !options.only?.has(node.spanId);
    lines.push(prefix + branch + headline(node, parent, paint, context ?? false, depth === 0, options.prices));
    const childPrefix = depth === 0 ? '' : prefix + (last ? '   ' : '│  ');
    const kids = node.children.filter((c) => !keep || keep.has(c.spanId));
    const detail = previews(node, max);
    if (detail && !context) lines.push(childPrefix + (kids.length ? '│  ' : '   ') + paint('dim', detail));
    for (const [i, c] of kids.entries()) visit(c, childPrefix, i === kids.length - 1, depth + 1, node);
  };
  for (const root of roots) visit(root, '', true, 0);
  return lines.join('\n');
}

function headline(
  node: SpanNode,
  parent: SpanNode | undefined,
  paint: Paint,
  contextOnly: boolean,
  top: boolean,
  prices: PriceTable | undefined,
): string {
  const s = summarize(node, node.children.length > 0, prices);
  const marker = top ? '● ' : '';
  const name = paint('bold', s.name);
  if (contextOnly) return paint('dim', `${marker}${s.name} (already shown)`);
  const parts = [`${marker}${name}`, paint(CATEGORY_STYLE[s.category], s.category)];
  if (s.model || s.provider) parts.push(`${s.model ?? '?'}${s.provider ? ` (${s.provider})` : ''}`);
  // Children inherit the trajectory's user and conversation; repeat them only where they differ.
  const inherited = (key: string, value: string | undefined) =>
    value !== undefined && parent?.attributes[key] === value;
  const who = [
    s.userId && !inherited(ATTR.userId, s.userId) && `user=${s.userId}`,
    s.convoId && !inherited(ATTR.convoId, s.convoId) && `convo=${s.convoId}`,
  ]
    .filter(Boolean)
    .join(' ');
  if (who) parts.push(who);
  if (s.inputTokens !== undefined || s.outputTokens !== undefined)
    parts.push(
      paint(
        'dim',
        `tokens ${s.inputTokens ?? '?'}→${s.outputTokens ?? '?'}${s.costUsd ? ` ${formatCost(s.costUsd)}` : ''}`,
      ),
    );
  parts.push(formatDuration(s.durationMillis, ''));
  parts.push(
    s.status === 'error'
      ? paint('red', `ERROR${s.statusMessage ? `: ${preview(s.statusMessage, 60)}` : ''}`)
      : paint('green', 'ok'),
  );
  if (top)
    parts.push(paint('dim', `trace ${node.traceId.slice(0, 8)}${node.parentSpanId ? ' (parent not received)' : ''}`));
  return parts.join('  ');
}

function previews(node: SpanNode, max: number): string | undefined {
  const input = preview(node.attributes[ATTR.input], max);
  const output = preview(node.attributes[ATTR.output], max);
  const parts = [input !== undefined && `in: ${input}`, output !== undefined && `out: ${output}`].filter(Boolean);
  return parts.length ? parts.join('   ') : undefined;
}

/** Span ids of `targets` and of all their ancestors, so an addendum shows where late spans hang. */
function pathsTo(roots: SpanNode[], targets: Set<string>): Set<string> {
  const keep = new Set<string>();
  const walk = (node: SpanNode, ancestors: string[]): boolean => {
    let found = targets.has(node.spanId);
    for (const c of node.children) found = walk(c, [...ancestors, node.spanId]) || found;
    if (found) keep.add(node.spanId);
    return found;
  };
  for (const r of roots) walk(r, []);
  return keep;
}
