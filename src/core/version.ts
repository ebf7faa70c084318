/** The package version; a test checks that it equals package.json `version`. */
export const SDK_VERSION = '0.2.0';
