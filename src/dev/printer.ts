/**
 * Prints each trajectory as a tree once its root span arrives. A trajectory's root ends last,
 * so its children usually arrive first (or in an earlier batch): they wait and attach. Spans of
 * an already printed trace print as an addendum; a trace whose root never comes prints anyway
 * after `orphanMillis`, so a lost parent is visible instead of silent.
 */
import type { PriceTable } from './prices.js';
import { renderTrace } from './render.js';
import type { SpanStore, StoredSpan } from './store.js';
import { rootOf } from './views.js';

export interface PrinterOptions {
  write: (text: string) => void;
  color?: boolean;
  /** Prices for the costs printed after token counts. */
  prices?: PriceTable;
  /** How long children wait for their root before printing without it. @default 10000 */
  orphanMillis?: number;
}

export class TracePrinter {
  private readonly printed = new Set<string>();
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  private readonly onBatch = (spans: StoredSpan[]) => this.batch(spans);

  constructor(
    private readonly store: SpanStore,
    private readonly options: PrinterOptions,
  ) {
    // History loaded from the data file is not printed again.
    for (const id of store.traceIds()) this.printed.add(id);
    store.on('batch', this.onBatch);
  }

  private batch(spans: StoredSpan[]): void {
    const byTrace = new Map<string, StoredSpan[]>();
    for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
    for (const [traceId, fresh] of byTrace) {
      const all = this.store.trace(traceId);
      if (this.printed.has(traceId)) {
        const only = new Set(fresh.map((s) => s.spanId));
        this.print(
          `+ ${fresh.length} late span(s) of trace ${traceId.slice(0, 8)}:`,
          renderTrace(all, { color: this.options.color, prices: this.options.prices, only }),
        );
      } else if (rootOf(all)) {
        this.printed.add(traceId);
        clearTimeout(this.waiting.get(traceId));
        this.waiting.delete(traceId);
        this.print(undefined, renderTrace(all, { color: this.options.color, prices: this.options.prices }));
      } else if (!this.waiting.has(traceId)) {
        const timer = setTimeout(() => this.flushOrphan(traceId), this.options.orphanMillis ?? 10_000);
        timer.unref();
        this.waiting.set(traceId, timer);
      }
    }
  }

  private flushOrphan(traceId: string): void {
    this.waiting.delete(traceId);
    if (this.printed.has(traceId)) return;
    this.printed.add(traceId);
    const all = this.store.trace(traceId);
    this.print(
      `(trace ${traceId.slice(0, 8)}: root span not received yet; ${all.length} span(s) so far)`,
      renderTrace(all, { color: this.options.color, prices: this.options.prices }),
    );
  }

  private print(header: string | undefined, body: string): void {
    this.options.write(`${header ? `${header}\n` : ''}${body}\n\n`);
  }

  stop(): void {
    this.store.off('batch', this.onBatch);
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
  }
}
