/**
 * @bentolabs/sdk — record LLM calls, tool calls and agent runs as OpenTelemetry spans, shipped to
 * BentoLabs in batches that survive serverless freezes. Adapters live in subpath entry points:
 * `@bentolabs/sdk/lambda`, `/middy`, `/express`, `/next`.
 */
export { SDK_VERSION } from './core/version.js';
export { init, flush, shutdown } from './core/client.js';
export { resolveOptions } from './core/config.js';
export type { BentoOptions, ResolvedOptions, BentoProtocol, IdentitySource } from './core/config.js';
export { BentoAuthError, BentoConfigError, BentoUsageError } from './core/errors.js';
export type { BentoAuthErrorCode, BentoConfigErrorCode, BentoUsageErrorCode } from './core/errors.js';
export type { BentoLogger, LogLevel } from './core/logger.js';
export { trackAi } from './core/track.js';
export type { TrackAiFields } from './core/track.js';
export type { SpanFields } from './core/record.js';
export { begin, toolSpan, currentInteraction } from './core/trajectory.js';
export type { BeginFields, Interaction, InteractionUpdate, ToolSpan } from './core/trajectory.js';
export { interaction, tool } from './core/wrappers.js';
export { updateCurrentTrace, updateCurrentSpan, propagateAttributes } from './core/identity.js';
export type { TraceUpdate } from './core/identity.js';
export { status } from './core/diagnostics.js';
export type { BentoStatus } from './core/diagnostics.js';
export { BentoLabsSpanProcessor } from './core/processor.js';
export type { FlushResult, PipelineCounts } from './core/processor.js';
export { BentoLabsTraceExporter } from './core/exporter.js';
export type { ExportOutcome } from './core/exporter.js';
export { runInvocation } from './core/invocation.js';
export type { InvocationOptions, RunInvocationOptions } from './core/invocation.js';
export type { BentoWarning } from './core/warnings.js';
