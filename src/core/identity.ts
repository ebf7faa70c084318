/** Identity helpers: patch the open trajectory or span, or scope identity to a callback. */
import { peekClient } from './client.js';
import { currentStore, innermostOpen, innermostTrajectory, runWith, type Identity } from './context.js';
import { log } from './logger.js';
import { patchAttributes, readFields } from './record.js';

/** What `updateCurrentTrace` accepts. */
export interface TraceUpdate {
  userId?: string;
  sessionId?: string;
  tags?: string[];
  properties?: Record<string, unknown>;
}

function cleanIdentity(fields: { userId?: unknown; sessionId?: unknown; tags?: unknown }): Identity {
  return {
    ...(typeof fields.userId === 'string' && { userId: fields.userId }),
    ...(typeof fields.sessionId === 'string' && { sessionId: fields.sessionId }),
    ...(Array.isArray(fields.tags) &&
      fields.tags.every((t) => typeof t === 'string') && { tags: fields.tags as string[] }),
  };
}

/**
 * Patches the open trajectory: its attributes now, and the identity that spans recorded inside it
 * from now on inherit. A no-op without an open trajectory.
 * @example
 * updateCurrentTrace({ userId: session.user.id, tags: ['beta'] });
 */
export function updateCurrentTrace(passed: TraceUpdate): void {
  const client = peekClient();
  const trajectory = innermostTrajectory();
  const fields = readFields(passed);
  if (!client || !trajectory || !fields) {
    log.debug('updateCurrentTrace(): no open trajectory in this async context; nothing changed.');
    return;
  }
  try {
    const identity = cleanIdentity(fields);
    Object.assign(trajectory.identity, identity);
    patchAttributes(
      trajectory.span,
      { userId: identity.userId, convoId: identity.sessionId, tags: identity.tags, properties: fields.properties },
      client,
    );
  } catch (error) {
    log.warn(`updateCurrentTrace() could not record its fields: ${String(error)}`);
  }
}

/**
 * Sets properties on the innermost open Bento span (tool span or trajectory). A no-op without one.
 * @example
 * updateCurrentSpan({ properties: { cache_hit: true } });
 */
export function updateCurrentSpan(passed: { properties?: Record<string, unknown> }): void {
  const client = peekClient();
  const open = innermostOpen();
  const fields = readFields(passed);
  if (!client || !open || !fields) {
    log.debug('updateCurrentSpan(): no open Bento span in this async context; nothing changed.');
    return;
  }
  try {
    patchAttributes(open.span, { properties: fields.properties }, client);
  } catch (error) {
    log.warn(`updateCurrentSpan() could not record its properties: ${String(error)}`);
  }
}

/**
 * Runs `fn` with an identity that every span recorded inside it (same async context) carries,
 * unless the span or its trajectory sets its own. Returns `fn`'s result.
 * @example
 * await propagateAttributes({ userId: req.user.id, sessionId: req.body.conversationId }, () => handle(req));
 */
export function propagateAttributes<T>(
  identity: { userId?: string; sessionId?: string; tags?: string[] },
  fn: () => T,
): T {
  if (typeof fn !== 'function')
    throw new TypeError(`propagateAttributes() expects a function as its second argument; got ${typeof fn}.`);
  // Read once, field by field: an identity object whose getters throw scopes nothing, and `fn` still runs.
  const merged = { ...currentStore()?.identity, ...cleanIdentity(readFields(identity) ?? {}) };
  return runWith({ identity: merged }, fn);
}
