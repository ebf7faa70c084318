/**
 * The SDK's error classes. Each has a stable `code` that callers can switch on; messages say
 * what was expected and what was got, and never contain a whole API key.
 */

/** Codes of {@link BentoAuthError}. */
export type BentoAuthErrorCode = 'missing_api_key' | 'invalid_api_key_format' | 'already_initialized';
/** Codes of {@link BentoConfigError}. */
export type BentoConfigErrorCode = 'invalid_base_url' | 'invalid_option' | 'unsupported_runtime';
/** Codes of {@link BentoUsageError}. */
export type BentoUsageErrorCode = 'out_of_order';

abstract class BentoError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A missing or malformed API key, or `init()` again with other credentials while running.
 * @example
 * try { init({ apiKey: 'sk_123' }); } catch (e) { if (e instanceof BentoAuthError) console.log(e.code); }
 */
export class BentoAuthError extends BentoError<BentoAuthErrorCode> {
  override readonly name = 'BentoAuthError';
}

/**
 * An option with a value the SDK cannot use (`invalid_base_url` for a bad `baseUrl`).
 * @example
 * try { init({ apiKey, baseUrl: 'localhost:8080' }); } catch (e) { console.log((e as BentoConfigError).code); }
 */
export class BentoConfigError extends BentoError<BentoConfigErrorCode> {
  override readonly name = 'BentoConfigError';
  /** The option that was rejected, e.g. `baseUrl`. */
  readonly option: string;
  constructor(code: BentoConfigErrorCode, option: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.option = option;
  }
}

/**
 * The API was used in an order it cannot honour, such as finishing a trajectory while one
 * opened inside it is still open.
 * @example
 * const outer = begin({ event: 'outer' }); begin({ event: 'inner' });
 * try { outer.finish(); } catch (e) { console.log((e as BentoUsageError).code); } // 'out_of_order'
 */
export class BentoUsageError extends BentoError<BentoUsageErrorCode> {
  override readonly name = 'BentoUsageError';
}
