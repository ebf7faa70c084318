// `#transport` resolves through package.json `imports` to a built file (dist/transport-node.js or
// dist/transport-fetch.js), which a fresh clone does not have yet: this gives the type-checker the
// shape both implementations share. A tsconfig `paths` entry would not do: esbuild (wrangler, the
// benchmarks) applies it to dist/ files too and would bundle the Node transport into edge builds.
declare module '#transport' {
  export const postOnce: import('./transport-types.js').PostOnce;
}

// Cloudflare Workers' built-in module (its `waitUntil`), imported only by `@bentolabs/sdk/cloudflare`.
declare module 'cloudflare:workers' {
  export function waitUntil(promise: Promise<unknown>): void;
}
