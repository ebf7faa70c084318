/**
 * The `Host` allow-list of the local endpoint. A browser sends the name it resolved, so a page on
 * `evil.example` whose DNS answer was switched to 127.0.0.1 (DNS rebinding) reaches the server
 * with `Host: evil.example`: refusing names that are not this machine's closes that door while
 * every ordinary client (the SDK, curl, the dashboard at localhost) keeps working.
 */
import { isIP } from 'node:net';

/** `localhost`, any `*.localhost` (RFC 6761 keeps them on this machine), 127.0.0.0/8 and ::1. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

/** Splits `name:port`, `[v6]:port` or a bare name into the host name alone. */
function hostnameOf(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.lastIndexOf(':');
  // A bare IPv6 address without brackets has several colons and no port.
  return colon >= 0 && header.indexOf(':') === colon ? header.slice(0, colon) : header;
}

/** Whether a request with this `Host` header may be served; `extra` holds names or `name:port`. */
export function hostAllowed(header: string | undefined, extra: readonly string[]): boolean {
  // HTTP/1.0 clients may omit Host; browsers never do, so there is no rebinding risk in that.
  if (header === undefined || header === '') return true;
  const lower = header.toLowerCase();
  const hostname = hostnameOf(lower);
  if (isLoopbackName(hostname)) return true;
  return extra.some((allowed) => {
    const a = allowed.toLowerCase();
    return a === lower || a === hostname;
  });
}
