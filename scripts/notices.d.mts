export interface BundledPackage {
  name: string;
  version: string;
  parts: Set<string>;
}
export const noticesFile: string;
export function readMetafiles(): Record<string, unknown>;
export function bundledPackages(metas?: Record<string, unknown>): BundledPackage[];
export function renderNotices(packages?: BundledPackage[]): string;
export function noticeProblems(current?: string, packages?: BundledPackage[]): string[];
