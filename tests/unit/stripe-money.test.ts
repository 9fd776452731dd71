// Extra item of the security review: the billing page divided every Stripe amount by 100, so a
// ¥1,490 invoice read ¥14.90 (app/routes/a.$agency.billing.tsx now formats through this helper).
import { describe, expect, it } from "vitest";
import { formatStripeAmount, stripeDecimals } from "../../app/utils/stripe-money";

describe("Stripe amounts", () => {
  it("are whole yen for JPY (zero-decimal), cents for EUR/USD, thousandths for KWD", () => {
    expect(formatStripeAmount(1490, "jpy")).toBe("¥1,490");
    expect(formatStripeAmount(14900, "JPY")).toBe("¥14,900");
    expect(formatStripeAmount(1490, "eur")).toBe("€14.90");
    expect(formatStripeAmount(5, "usd")).toBe("$0.05");
    expect(formatStripeAmount(-250, "usd")).toBe("-$2.50");
    expect(formatStripeAmount(1234, "kwd")).toMatch(/1\.234/);
    expect(formatStripeAmount(2000, "krw")).toBe("₩2,000");
    expect(stripeDecimals("vnd")).toBe(0);
    expect(stripeDecimals("gbp")).toBe(2);
  });
});
