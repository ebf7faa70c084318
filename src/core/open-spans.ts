/**
 * Every trajectory and tool span that is open right now. A span is exported only when it ends, so
 * a handle-form trajectory never finished (or an exception swallowed before `finish()`) would be
 * lost without a word; this registry lets `status()`, `flush()` and the exit hooks count them and
 * say so, and lets the exit hook end them so they are delivered.
 */
import { currentStore, type OpenSpan, type Store } from './context.js';
import { shared } from './global.js';

// In the global slot: spans opened by the ESM and the CommonJS copy are counted together (see global.ts).
const open = shared('openSpans', () => new Set<OpenSpan>());

export function trackOpen(state: OpenSpan): void {
  open.add(state);
}

export function untrackOpen(state: OpenSpan): void {
  open.delete(state);
}

/** Open trajectories and tool spans now. */
export function openCounts(): { trajectories: number; tools: number } {
  let trajectories = 0;
  let tools = 0;
  for (const s of open) {
    if (s.ended) continue;
    if (s.kind === 'trajectory') trajectories++;
    else tools++;
  }
  return { trajectories, tools };
}

/**
 * Open spans nobody is going to end: not inside a live adapter invocation (its end closes them)
 * and not enclosing the caller (a `flush()` inside a `begin` callback is expected to see its own
 * trajectory open). Oldest first.
 */
export function strayOpenSpans(store: Store | undefined = currentStore()): OpenSpan[] {
  const enclosing = new Set<OpenSpan>();
  for (let s = store?.span; s; s = s.parent) enclosing.add(s);
  return [...open].filter(
    (s) => !s.ended && !enclosing.has(s) && (s.invocation === undefined || s.invocation.closed === true),
  );
}

/** Every open span, oldest first: at exit and shutdown none of them can be exported later. */
export function allOpenSpans(): OpenSpan[] {
  return [...open].filter((s) => !s.ended);
}

/** Span names for a message: the first few, then a count. */
export function describeSpans(spans: OpenSpan[]): string {
  const names = spans.slice(0, 3).map((s) => `"${(s.span as unknown as { name?: string }).name ?? '?'}"`);
  return spans.length > 3 ? `${names.join(', ')} and ${spans.length - 3} more` : names.join(', ');
}
