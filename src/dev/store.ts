/**
 * The local endpoint's span store: an append-only NDJSON file (one decoded span per line, plus
 * when it arrived) mirrored in memory. The file is read back at start, so restarting
 * `bentolabs dev` keeps the history; the in-memory copy answers every API query.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ReceivedSpan } from './otlp.js';

/** A span as stored: the decoded OTLP span and the time the endpoint accepted it. */
export interface StoredSpan extends ReceivedSpan {
  /** ISO time the endpoint stored the span. */
  receivedAt: string;
}

export interface LoadReport {
  spans: number;
  /** Lines that were not a span (e.g. a line cut short by a crash); they are skipped. */
  skippedLines: number;
}

const key = (s: { traceId: string; spanId: string }) => `${s.traceId}:${s.spanId}`;

export class SpanStore extends EventEmitter<{ batch: [StoredSpan[]] }> {
  /** Insertion order; a re-sent span (exporter retry) replaces its earlier copy in place. */
  private readonly spans = new Map<string, StoredSpan>();
  private readonly traces = new Map<string, Map<string, StoredSpan>>();
  private fd: number | undefined;

  private constructor(readonly file: string | undefined) {
    super();
  }

  /** An in-memory store, for tests of the views. */
  static memory(): SpanStore {
    return new SpanStore(undefined);
  }

  /** Opens (creating it and its directory if needed) and loads the NDJSON file. */
  static open(file: string): { store: SpanStore; report: LoadReport } {
    const store = new SpanStore(path.resolve(file));
    const report = store.load();
    return { store, report };
  }

  private load(): LoadReport {
    const file = this.file!;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const report: LoadReport = { spans: 0, skippedLines: 0 };
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const span = parseLine(line);
      if (!span) {
        report.skippedLines++;
        continue;
      }
      this.index(span);
    }
    report.spans = this.spans.size;
    this.fd = fs.openSync(file, 'a');
    // A crash mid-write can leave a last line without its newline; appending straight after it
    // would glue the next span onto the broken line and lose both.
    if (text.length > 0 && !text.endsWith('\n')) fs.writeSync(this.fd, '\n');
    return report;
  }

  /**
   * Stores a decoded batch: written to the file before this returns (the endpoint answers 200
   * only after that), then announced to `batch` listeners (terminal printer, SSE clients).
   */
  add(spans: ReceivedSpan[]): StoredSpan[] {
    if (spans.length === 0) return [];
    const receivedAt = new Date().toISOString();
    const stored = spans.map((s): StoredSpan => ({ ...s, receivedAt }));
    if (this.fd !== undefined) {
      // One write per batch: a batch is either on disk whole or (after a crash) a cut last line.
      fs.writeSync(this.fd, stored.map((s) => `${JSON.stringify(s)}\n`).join(''));
    }
    for (const s of stored) this.index(s);
    this.emit('batch', stored);
    return stored;
  }

  private index(span: StoredSpan): void {
    const k = key(span);
    this.spans.delete(k); // re-insert so the latest copy is also the latest in order
    this.spans.set(k, span);
    let trace = this.traces.get(span.traceId);
    if (!trace) this.traces.set(span.traceId, (trace = new Map()));
    trace.set(span.spanId, span);
  }

  get size(): number {
    return this.spans.size;
  }

  /** Every span, oldest first (arrival order). */
  all(): StoredSpan[] {
    return [...this.spans.values()];
  }

  /** The spans of one trace, or an empty array. */
  trace(traceId: string): StoredSpan[] {
    return [...(this.traces.get(traceId)?.values() ?? [])];
  }

  traceIds(): string[] {
    return [...this.traces.keys()];
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function parseLine(line: string): StoredSpan | undefined {
  try {
    const value = JSON.parse(line) as Partial<StoredSpan> | null;
    if (
      !value ||
      typeof value.traceId !== 'string' ||
      typeof value.spanId !== 'string' ||
      typeof value.name !== 'string'
    )
      return undefined;
    if (typeof value.receivedAt !== 'string') value.receivedAt = new Date(0).toISOString();
    value.attributes ??= {};
    return value as StoredSpan;
  } catch {
    return undefined;
  }
}
