/**
 * Lists rolled up from trace summaries: conversations, users, filter menus, and the totals line
 * above every list.
 */
import type { Facets } from './shared.js';
import { sumUsage, type Usage } from './usage.js';
import { distinct, type TraceSummary } from './views.js';

export interface SessionSummary {
  convoId: string;
  userIds: string[];
  traceIds: string[];
  spanCount: number;
  models: string[];
  errors: number;
  /** Sum of the turns' durations. */
  durationMillis: number;
  usage: Usage;
  firstStartTime: string;
  lastStartTime: string;
}

export interface UserSummary {
  userId: string;
  convoIds: string[];
  traceCount: number;
  spanCount: number;
  errors: number;
  usage: Usage;
  lastStartTime: string;
}

/** Totals of a filtered list, shown above it. */
export interface Totals {
  count: number;
  errors: number;
  usage: Usage;
}

export function totals(traces: Array<{ errors: number; usage: Usage }>): Totals {
  return {
    count: traces.length,
    errors: traces.reduce((n, t) => n + t.errors, 0),
    usage: sumUsage(traces.map((t) => t.usage)),
  };
}

/** Traces grouped by each key `keysOf` gives them (a trace with two users is in both groups), in first-seen order. */
function groupBy(traces: TraceSummary[], keysOf: (t: TraceSummary) => string[]): Map<string, TraceSummary[]> {
  const out = new Map<string, TraceSummary[]>();
  for (const t of traces) for (const k of keysOf(t)) out.set(k, [...(out.get(k) ?? []), t]);
  return out;
}

const sum = (traces: TraceSummary[], pick: (t: TraceSummary) => number) => traces.reduce((n, t) => n + pick(t), 0);
const newestFirst = (a: { lastStartTime: string }, b: { lastStartTime: string }) =>
  b.lastStartTime.localeCompare(a.lastStartTime);
const starts = (turns: TraceSummary[]) => turns.map((t) => t.startTime).sort();

/** Conversations (`gen_ai.conversation.id`), most recently active first; `traceIds` keep the traces' order. */
export function sessions(traces: TraceSummary[]): SessionSummary[] {
  return [...groupBy(traces, (t) => t.convoIds)]
    .map(
      ([convoId, turns]): SessionSummary => ({
        convoId,
        userIds: distinct(turns.flatMap((t) => t.userIds)),
        traceIds: turns.map((t) => t.traceId),
        spanCount: sum(turns, (t) => t.spanCount),
        models: distinct(turns.flatMap((t) => t.models)),
        errors: sum(turns, (t) => t.errors),
        durationMillis: sum(turns, (t) => t.durationMillis),
        usage: sumUsage(turns.map((t) => t.usage)),
        firstStartTime: starts(turns)[0]!,
        lastStartTime: starts(turns).at(-1)!,
      }),
    )
    .sort(newestFirst);
}

export function users(traces: TraceSummary[]): UserSummary[] {
  return [...groupBy(traces, (t) => t.userIds)]
    .map(
      ([userId, turns]): UserSummary => ({
        userId,
        convoIds: distinct(turns.flatMap((t) => t.convoIds)),
        traceCount: turns.length,
        spanCount: sum(turns, (t) => t.spanCount),
        errors: sum(turns, (t) => t.errors),
        usage: sumUsage(turns.map((t) => t.usage)),
        lastStartTime: starts(turns).at(-1)!,
      }),
    )
    .sort(newestFirst);
}

/** Every value the dashboard's filter menus can offer. */
export function facets(traces: TraceSummary[]): Facets {
  const all = (pick: (t: TraceSummary) => string[]) => distinct(traces.flatMap(pick)).sort();
  return {
    userIds: all((t) => t.userIds),
    convoIds: all((t) => t.convoIds),
    models: all((t) => t.models),
    providers: all((t) => t.providers),
  };
}
