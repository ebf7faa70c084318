/**
 * Issue 12, local endpoint: the key is never printed whole, only localhost names and loopback
 * addresses (plus `allowedHosts`) are served (DNS rebinding), a refused request is answered from
 * its headers before its body is read, and the body limit holds while the body streams in.
 * Raw sockets, so the test controls exactly which bytes were sent when the answer came.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/dev/server.js';
import { CliProcess, cliPath, tempDir } from './helpers.js';

const KEY = 'bl_pk_hardening_secret_0123wxyz';
const AUTH_JSON = `Authorization: Bearer ${KEY}\r\nContent-Type: application/json`;
let server: DevServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Parameters<typeof startDevServer>[0] = {}): Promise<DevServer> {
  server = await startDevServer({ port: 0, dataFile: path.join(tempDir(), 'spans.ndjson'), ...options });
  return server;
}

/**
 * Sends `head` (request line and headers) and `body`, without ending the request, and resolves
 * with the first bytes of the answer, or `null` if none came before the socket closed.
 */
function rawRequest(port: number, head: string, body = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer || null));
    socket.write(`${head}\r\n\r\n${body}`);
  });
}

const statusOf = (answer: string | null) => Number(answer?.split(' ')[1]);

describe('Host allow-list', () => {
  it('answers localhost names and loopback addresses, refuses other names with 403', async () => {
    const { port } = await start();
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`]) {
      expect(statusOf(await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close`))).toBe(200);
    }
    for (const path of ['/api/traces', '/healthz', '/']) {
      const answer = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close`);
      expect(statusOf(answer)).toBe(403);
    }
    const post = await rawRequest(
      port,
      `POST /v1/traces HTTP/1.1\r\nHost: rebound.example\r\n${AUTH_JSON}\r\nContent-Length: 2\r\nConnection: close`,
      '{}',
    );
    expect(statusOf(post)).toBe(403);
  });

  it('allowedHosts adds names', async () => {
    const { port } = await start({ allowedHosts: ['devbox.lan'] });
    const answer = await rawRequest(port, `GET /healthz HTTP/1.1\r\nHost: devbox.lan:${port}\r\nConnection: close`);
    expect(statusOf(answer)).toBe(200);
  });
});

describe('refusals come from the headers, and the size limit holds while streaming', () => {
  it('an unauthenticated 10 MB upload is answered 401 after its first kilobyte', async () => {
    const { port } = await start();
    const answer = await rawRequest(
      port,
      `POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${10 * 1024 * 1024}`,
      'x'.repeat(1024),
    );
    expect(statusOf(answer)).toBe(401);
  });

  it('a declared size over the limit is answered 413 without reading the body', async () => {
    const { port } = await start({ maxBodyBytes: 4096 });
    const answer = await rawRequest(
      port,
      `POST /v1/traces HTTP/1.1\r\nHost: localhost\r\n${AUTH_JSON}\r\nContent-Length: 100000`,
      '{',
    );
    expect(statusOf(answer)).toBe(413);
  });

  it('a chunked body is refused with 413 as soon as it passes the limit, before it ends', async () => {
    const { port } = await start({ maxBodyBytes: 4096 });
    const chunk = 'a'.repeat(5000);
    const answer = await rawRequest(
      port,
      `POST /v1/traces HTTP/1.1\r\nHost: localhost\r\n${AUTH_JSON}\r\nTransfer-Encoding: chunked`,
      `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(statusOf(answer)).toBe(413);
  });
});

describe('bentolabs dev --api-key', () => {
  it('never prints the key whole', async () => {
    const cli = new CliProcess(
      spawn(
        process.execPath,
        [cliPath(), 'dev', '--port', '0', '--api-key', KEY, '--data', path.join(tempDir(), 's.ndjson')],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, NO_COLOR: '1' },
        },
      ),
    );
    try {
      await cli.waitFor(/Waiting for spans/, { timeoutMillis: 30_000 });
      expect(cli.stdout).toContain('bl_pk_…wxyz');
      expect(cli.stdout).not.toContain(KEY);
      expect(cli.stderr).not.toContain(KEY);
    } finally {
      await cli.stop();
    }
  });
});
