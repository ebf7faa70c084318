/**
 * What an API key looks like and how it is shown: one home for the SDK (config, exporter, status)
 * and the local endpoint (`bentolabs dev`), so the two never disagree about a key.
 */

export const API_KEY_PREFIX = 'bl_pk_';

/**
 * Why `key` cannot be a BentoLabs key, or `undefined` when it can. Only printable ASCII is
 * allowed: Node refuses a header value with a control character (`ERR_INVALID_CHAR`) only when
 * the request is made, so a key with a newline or an invisible U+200B copied from a web page
 * would pass `init()` and then fail every export with an error that points at the URL.
 */
export function apiKeyProblem(key: string): string | undefined {
  if (!key.startsWith(API_KEY_PREFIX) || key.length === API_KEY_PREFIX.length)
    return `to start with \`${API_KEY_PREFIX}\``;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) {
      const shown = `U+${(key.codePointAt(i) ?? code).toString(16).toUpperCase().padStart(4, '0')}`;
      const what = code === 0x20 ? 'a space' : code === 0x0a || code === 0x0d ? 'a line break' : shown;
      return `to contain only printable ASCII characters, but character ${i + 1} is ${what}`;
    }
  }
  return undefined;
}

/** `bl_pk_…abcd`: enough to tell keys apart, never enough to use one. */
export function redactKey(key: string | undefined): string {
  if (!key) return '(none)';
  // A newline or an invisible character shown as-is would break the log line or hide the problem.
  const visible = (s: string) => s.replace(/[^\x21-\x7e]/g, '?');
  if (!key.startsWith(API_KEY_PREFIX)) return `${visible(key.slice(0, 3))}… (${key.length} chars)`;
  return key.length >= API_KEY_PREFIX.length + 8 ? `${API_KEY_PREFIX}…${visible(key.slice(-4))}` : `${API_KEY_PREFIX}…`;
}

/** `text` with every occurrence of `key` replaced by its redacted form (an empty key changes nothing). */
export function redactIn(text: string, key: string | undefined): string {
  return key ? text.split(key).join(redactKey(key)) : text;
}
