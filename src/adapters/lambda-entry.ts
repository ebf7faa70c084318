/**
 * The ESM `@bentolabs/sdk/lambda`: the registration (which needs a top-level await, so it cannot
 * live in the CommonJS build) and then the adapter itself. Both stay separate files in dist/ so
 * the adapter is the same module instance as every other ESM entry point.
 */
import './lambda-register.js';

export * from './lambda.js';
