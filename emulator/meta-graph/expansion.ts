/**
 * Graph field expansion (Meta's "Field Expansion" guide): a `fields` list whose items may carry
 * modifiers and nested fields, `name.modifier(arg).modifier(arg){sub,fields}`. An edge asked for
 * this way (`insights.time_range({...}).level(ad){spend}` on an ad account) is read with the
 * modifiers as its parameters and answered inside the node as `{data, paging}`; its `paging.next`
 * is the edge's own URL, so later pages are plain edge reads.
 */
import { paramError } from "./errors";

export interface ExpandedField {
  name: string;
  /** modifier name -> its argument as written (JSON for objects and lists, as a query parameter would be) */
  modifiers: Record<string, string>;
  /** the text between `{` and `}`, unparsed (it is the edge's own `fields` parameter) */
  nestedRaw: string | null;
}

const CLOSE: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Index just past the bracket that closes the one at `open`, skipping quoted strings and nested brackets. */
function balanced(s: string, open: number): number {
  const stack = [CLOSE[s[open]!]!];
  let i = open + 1;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '"' || ch === "'") {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    if (CLOSE[ch]) stack.push(CLOSE[ch]!);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
    i++;
  }
  throw syntaxError(s, open);
}

function syntaxError(s: string, at: number) {
  return paramError(`Syntax error "Expected end of string instead of "${s[at] ?? ""}"." at character ${at}: ${s.slice(0, 80)}`);
}

/** Parses a `fields` value into its top-level items (a JSON array of field strings is accepted too). */
export function parseExpandedFields(raw: string | undefined): ExpandedField[] {
  if (!raw) return [];
  const s = raw.trim();
  if (s.startsWith("[")) {
    let list: unknown;
    try {
      list = JSON.parse(s);
    } catch {
      throw paramError("Invalid fields parameter");
    }
    if (!Array.isArray(list)) throw paramError("Invalid fields parameter");
    return list.flatMap((x) => parseExpandedFields(String(x)));
  }
  const out: ExpandedField[] = [];
  let i = 0;
  while (i < s.length) {
    const nameMatch = /^\s*([A-Za-z0-9_]+)\s*/.exec(s.slice(i));
    if (!nameMatch) throw syntaxError(s, i);
    const field: ExpandedField = { name: nameMatch[1]!, modifiers: {}, nestedRaw: null };
    i += nameMatch[0].length;
    while (s[i] === ".") {
      const mod = /^\.([A-Za-z0-9_]+)\(/.exec(s.slice(i));
      if (!mod) throw syntaxError(s, i);
      const open = i + mod[0].length - 1;
      const end = balanced(s, open);
      field.modifiers[mod[1]!] = s.slice(open + 1, end - 1).trim();
      i = end;
    }
    if (s[i] === "{") {
      const end = balanced(s, i);
      field.nestedRaw = s.slice(i + 1, end - 1);
      i = end;
    }
    while (s[i] === " ") i++;
    if (i < s.length && s[i] !== ",") throw syntaxError(s, i);
    i++;
    out.push(field);
  }
  return out;
}

/** Whether a node read asks for an edge through expansion (the call then costs what that edge's read costs). */
export function expandsEdge(fields: string | undefined, edge: string): boolean {
  if (!fields || !fields.includes(edge)) return false;
  try {
    return parseExpandedFields(fields).some((f) => f.name === edge && (f.nestedRaw !== null || Object.keys(f.modifiers).length > 0));
  } catch {
    return false;
  }
}
