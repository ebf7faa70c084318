export const MAX_LINE: number;
export const MAX_SRC_LINES: number;
export interface FormFinding {
  file: string;
  line?: number;
  message: string;
  pending?: string;
}
export function checkForm(files?: string[], base?: string): FormFinding[];
