/** Shared pieces of the integration tests. */

/** The current majors of `openai`, `@anthropic-ai/sdk` and `ai` need Node.js 22 or newer. */
export const NODE_OK = Number(process.versions.node.split('.')[0]) >= 22;
