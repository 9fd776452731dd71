/**
 * CSV formula injection (security review, finding 3). A cell that starts with `=`, `+`, `-`, `@`, a
 * tab or a carriage return (or their full-width forms) is run as a formula by Excel, LibreOffice
 * and Google Sheets when the CSV is opened. Campaign names come from Meta and agency, client and
 * person names from users, so every export neutralises them: csv-stringify's `escape_formulas`
 * prefixes such cells with `'` (OWASP's advice), which spreadsheets show as text.
 *
 * Our own numbers stay numbers: a plain decimal like `-12.50` (a refund, a negative adjustment) is
 * not a formula and keeps its exact text.
 */
import type { Options } from "csv-stringify";

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** Options for every csv-stringify call that writes an export. */
export const SPREADSHEET_SAFE: Pick<Options, "escape_formulas" | "cast"> = {
  escape_formulas: true,
  cast: {
    // A per-field override (csv-stringify accepts `{ value, ...options }` from a cast).
    string: (value: string) => (value.startsWith("-") && PLAIN_NUMBER.test(value) ? { value, escape_formulas: false } : value),
  },
};
