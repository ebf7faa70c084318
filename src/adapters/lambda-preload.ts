/**
 * The CommonJS `@bentolabs/sdk/lambda/register` (`NODE_OPTIONS="--require ..."`): starts the
 * extension registration without waiting for it, which a `require` cannot do. A preload runs
 * before the runtime has even loaded itself, so registration normally ends long before the
 * runtime's first request for an event; `--import @bentolabs/sdk/lambda/register` waits for it.
 */
import { registerExtension } from '../core/lambda-extension.js';

void registerExtension();
