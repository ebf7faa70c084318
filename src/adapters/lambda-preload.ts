/**
 * The CommonJS `@bentolabs/sdk/lambda/register` (`NODE_OPTIONS="--require ..."`): starts the
 * extension registration but cannot wait for it. Best effort only: a handler whose loading
 * blocks the event loop (any CommonJS handler with dependencies) lets the runtime ask for its
 * first event before the request is even written, and Lambda then refuses it (inline delivery).
 * `--import @bentolabs/sdk/lambda/register` waits for it: that is the documented way.
 */
import { registerExtension } from '../core/lambda-extension.js';

void registerExtension();
