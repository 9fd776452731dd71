/**
 * Stripe amounts are integers in the currency's smallest unit, and what that unit is depends on the
 * currency (https://docs.stripe.com/currencies#zero-decimal): ¥1,490 is `1490` (JPY has no minor
 * unit), €14.90 is `1490`, and the three-decimal currencies count thousandths. Dividing every amount
 * by 100 showed ¥1,490 as ¥14.90.
 */
const ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);
const THREE_DECIMAL = new Set(["BHD", "JOD", "KWD", "OMR", "TND"]);

/** How many decimal places Stripe's integer amounts carry for this currency. */
export function stripeDecimals(currency: string): 0 | 2 | 3 {
  const c = currency.toUpperCase();
  return ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2;
}

/** A Stripe amount (smallest unit) as money text, e.g. (1490, "jpy") -> "¥1,490", (1490, "eur") -> "€14.90". */
export function formatStripeAmount(amount: number, currency: string, locale = "en"): string {
  const decimals = stripeDecimals(currency);
  // Exact decimal text (no float division), which Intl formats as given.
  const negative = amount < 0;
  const digits = String(Math.abs(Math.trunc(amount))).padStart(decimals + 1, "0");
  const major = decimals ? `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` : digits;
  const fmt = new Intl.NumberFormat(locale, { style: "currency", currency: currency.toUpperCase() });
  return fmt.format((negative ? `-${major}` : major) as unknown as number);
}
