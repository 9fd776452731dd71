/** RFC 4180 reader for tests (quoted fields, doubled quotes, newlines inside quotes): rows of cells. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") continue;
    else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection). */
export const FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r", "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20"];

/** A cell a spreadsheet would run: starts with a formula character and is not a plain number. */
export function isFormulaCell(cell: string): boolean {
  return FORMULA_STARTS.includes(cell[0] ?? "") && !/^-?\d+(\.\d+)?$/.test(cell);
}
