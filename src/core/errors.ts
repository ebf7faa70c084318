/**
 * The SDK's error classes. Each has a stable `code` that callers can switch on; messages say
 * what was expected and what was got, and never contain a whole API key.
 */

/** Codes of {@link BentoAuthError}. */
export type BentoAuthErrorCode = 'missing_api_key' | 'invalid_api_key_format' | 'already_initialized';
/** Codes of {@link BentoConfigError}. */
export type BentoConfigErrorCode = 'invalid_base_url' | 'invalid_option' | 'unsupported_runtime';
/**
 * Codes of {@link BentoUsageError}: none since 0.2 (`out_of_order` is gone: finishing a trajectory
 * out of order ends the inner spans instead of throwing).
 */
export type BentoUsageErrorCode = never;

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
 * Not thrown by anything since 0.2; kept so that existing `instanceof BentoUsageError` checks still
 * run (removing the export would make them throw a `TypeError`).
 * @deprecated Nothing throws it any more: `Interaction.finish()` never throws.
 * @example
 * if (error instanceof BentoUsageError) console.log(error.code); // never true since 0.2
 */
export class BentoUsageError extends BentoError<BentoUsageErrorCode> {
  override readonly name = 'BentoUsageError';
}
