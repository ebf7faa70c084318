/**
 * scripts/check-form.mjs (run by `npm run lint`): lines over 140 characters anywhere in the
 * sources, files over 400 lines in src/. Checked on a scratch tree, then on the repository.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { checkForm, MAX_LINE, MAX_SRC_LINES } from '../scripts/check-form.mjs';

const base = mkdtempSync(path.join(tmpdir(), 'bento-check-form-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
function write(file: string, text: string): string {
  mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
  writeFileSync(path.join(base, file), text);
  return file;
}

it('flags a line over the limit and a src/ file over the limit, and nothing at the limits', () => {
  const files = [
    write('src/ok.ts', `${'x'.repeat(MAX_LINE)}\n`.repeat(MAX_SRC_LINES)),
    write('src/long.ts', `const a = 1;\n${'y'.repeat(MAX_LINE + 1)}\n`),
    write('src/big.ts', 'a;\n'.repeat(MAX_SRC_LINES + 1)),
    // Size is a src/ rule only; line length holds everywhere.
    write('test/big.test.ts', 'a;\n'.repeat(MAX_SRC_LINES + 1)),
  ];
  expect(checkForm(files, base)).toEqual([
    { file: 'src/long.ts', line: 2, message: `${MAX_LINE + 1} characters (max ${MAX_LINE})`, pending: undefined },
    { file: 'src/big.ts', message: `${MAX_SRC_LINES + 1} lines (max ${MAX_SRC_LINES} in src/)`, pending: undefined },
  ]);
});

it('the repository passes, apart from the files listed as pending elsewhere', () => {
  expect(checkForm().filter((f) => !f.pending)).toEqual([]);
});
