/**
 * `@bentolabs/sdk/lambda/register`: registers the internal extension that lets `wrapHandler`
 * export after the response (see src/core/lambda-extension.ts). The ESM `@bentolabs/sdk/lambda`
 * imports it, so ESM handlers need nothing more. CommonJS handlers, whose `require` cannot wait
 * for it, preload it: `NODE_OPTIONS="--import @bentolabs/sdk/lambda/register"`. Outside Lambda,
 * on Managed Instances, or with delivery after the response turned off, it does nothing.
 *
 * The top-level await is the point: Lambda accepts registrations only until the runtime's first
 * request for an event, which the runtime makes as soon as the handler module has loaded.
 */
import { registerExtension } from '../core/lambda-extension.js';

const registration = registerExtension();
await registration;

/**
 * The registration this module awaited when it loaded. `@bentolabs/sdk/lambda`'s `wrapHandler`
 * calls it so that bundlers keep this module: the package is `sideEffects: false`, and a bare
 * `import './lambda-register.js'` is dropped from an esbuild bundle (what `sam build` makes).
 */
export function extensionRegistration(): Promise<void> {
  return registration;
}
