/**
 * Meta's currency offsets: budgets and account amounts come in offset units (100 for USD/EUR/...,
 * 1 for the currencies below). Meta's own list, not ISO 4217 minor units (HUF, ISK, TWD differ).
 * Runtime-agnostic (used by the sync core).
 */
const OFFSET_ONE = new Set(["CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"]);

export function currencyOffset(currency: string): number {
  return OFFSET_ONE.has(currency.toUpperCase()) ? 1 : 100;
}
