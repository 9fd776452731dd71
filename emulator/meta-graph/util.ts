import { createHmac, randomBytes } from "node:crypto";

// ---------- deterministic randomness ----------
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rngFor(...parts: Array<string | number>): () => number {
  return mulberry32(hash32(parts.join("|")));
}

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

export function randomDigits(n: number): string {
  const b = randomBytes(n);
  let s = String(1 + (b[0]! % 9));
  for (let i = 1; i < n; i++) s += String(b[i]! % 10);
  return s;
}

export function hmacHex(key: string, data: string): string {
  return createHmac("sha256", key).update(data).digest("hex");
}

// ---------- calendar days as integers (days since 1970-01-01) ----------
const DAY_MS = 86_400_000;
export const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function dayNum(s: string): number {
  if (!DATE_RE.test(s)) return NaN;
  const [y, m, d] = s.split("-").map(Number) as [number, number, number];
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return NaN;
  return Math.round(ms / DAY_MS);
}

export function dayStr(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function ymd(n: number): { y: number; m: number; d: number } {
  const dt = new Date(n * DAY_MS);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

export function fromYmd(y: number, m: number, d: number): number {
  return Math.round(Date.UTC(y, m - 1, d) / DAY_MS);
}

/** Adds calendar months, clamping the day to the end of the target month. */
export function addMonths(n: number, k: number): number {
  const { y, m, d } = ymd(n);
  const total = y * 12 + (m - 1) + k;
  const ty = Math.floor(total / 12);
  const tm = (total % 12) + 1;
  const last = new Date(Date.UTC(ty, tm, 0)).getUTCDate();
  return fromYmd(ty, tm, Math.min(d, last));
}

/** 0 = Sunday … 6 = Saturday */
export function weekday(n: number): number {
  return (((n + 4) % 7) + 7) % 7;
}

export function dayOfYear(n: number): number {
  const { y } = ymd(n);
  return n - fromYmd(y, 1, 1);
}

// ---------- time zones ----------
const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmtFor(tz: string): Intl.DateTimeFormat {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    fmtCache.set(tz, f);
  }
  return f;
}

export interface LocalInfo {
  day: number;
  secondsOfDay: number;
  offsetMinutes: number;
}

export function localInfo(ms: number, tz: string): LocalInfo {
  const parts = fmtFor(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const y = get("year");
  const mo = get("month");
  const d = get("day");
  const h = get("hour") % 24;
  const mi = get("minute");
  const s = get("second");
  const localAsUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const offsetMinutes = Math.round((localAsUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60000);
  return { day: fromYmd(y, mo, d), secondsOfDay: h * 3600 + mi * 60 + s, offsetMinutes };
}

/** UTC epoch ms of local midnight of `day` in tz. */
export function localMidnightMs(day: number, tz: string): number {
  const guess = day * DAY_MS;
  const off1 = localInfo(guess, tz).offsetMinutes;
  const t = guess - off1 * 60000;
  const off2 = localInfo(t, tz).offsetMinutes;
  return guess - off2 * 60000;
}

/** "2026-03-01T00:00:00-0800" */
export function fmtLocalTime(ms: number, tz: string): string {
  const li = localInfo(ms, tz);
  const hh = Math.floor(li.secondsOfDay / 3600);
  const mm = Math.floor((li.secondsOfDay % 3600) / 60);
  const ss = li.secondsOfDay % 60;
  const off = li.offsetMinutes;
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  const p2 = (x: number) => String(x).padStart(2, "0");
  return `${dayStr(li.day)}T${p2(hh)}:${p2(mm)}:${p2(ss)}${sign}${p2(Math.floor(a / 60))}${p2(a % 60)}`;
}

export function tzOffsetHours(ms: number, tz: string): number {
  return localInfo(ms, tz).offsetMinutes / 60;
}

// ---------- number formatting (Meta style) ----------
/** At most 6 decimals, trailing zeros dropped. */
export function fmt6(x: number): string {
  if (!Number.isFinite(x)) return "0";
  let s = x.toFixed(6);
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  if (s === "-0") s = "0";
  return s;
}

/** Exact decimal string of an amount in minor units (offset 100 → 2 decimals, offset 1 → integer). */
export function moneyFixed(minor: number, offset: number): string {
  if (offset === 1) return String(minor);
  const neg = minor < 0;
  const a = Math.abs(minor);
  const digits = Math.round(Math.log10(offset));
  const s = `${Math.floor(a / offset)}.${String(a % offset).padStart(digits, "0")}`;
  return neg ? `-${s}` : s;
}

/** Meta insights style: decimal string, trailing zeros dropped ("12.3", "12"). */
export function moneyMeta(minor: number, offset: number): string {
  const s = moneyFixed(minor, offset);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Parses "12.34" / 12.34 into minor units exactly. */
export function parseMoneyToMinor(v: unknown, offset: number): number {
  const s = String(v).trim();
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`invalid money amount ${s}`);
  const neg = s.startsWith("-");
  const [i, f = ""] = s.replace("-", "").split(".");
  const digits = Math.round(Math.log10(offset));
  const frac = (f + "0".repeat(digits)).slice(0, digits);
  const minor = Number(i) * offset + (digits ? Number(frac) : 0);
  return neg ? -minor : minor;
}

// ---------- cursors ----------
export function encCursor(i: number): string {
  return Buffer.from(`emu:${i}`).toString("base64url");
}
export function decCursor(c: string): number | null {
  try {
    const s = Buffer.from(c, "base64url").toString();
    const m = /^emu:(\d+)$/.exec(s);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function fbtraceId(): string {
  return randomBytes(8).toString("base64").replace(/[+/=]/g, "A").slice(0, 11);
}
