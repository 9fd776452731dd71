import { describe, expect, it } from "vitest";
import {
  ATTRIBUTION_OPTIONS,
  addDecimals,
  attributionKey,
  attributionLabel,
  conversionsUnder,
  insightsAttributionParams,
  keyFromMetaSetting,
  parseAttributionChoice,
} from "../../app/.server/meta/attribution";
import { comparePlatforms, platformLabel } from "../../app/utils/platforms";

describe("attribution choices", () => {
  it("parses to canonical order and refuses removed, unknown and double-click windows", () => {
    expect(parseAttributionChoice("1d_view,7d_click")).toEqual(["7d_click", "1d_view"]);
    expect(parseAttributionChoice("")).toBeNull();
    expect(parseAttributionChoice(null)).toBeNull();
    expect(parseAttributionChoice(["1d_ev", "1d_view", "28d_click"])).toEqual(["28d_click", "1d_view", "1d_ev"]);
    expect(() => parseAttributionChoice("7d_view")).toThrow(/removed on 2026-01-12/);
    expect(() => parseAttributionChoice("28d_view,1d_click")).toThrow(/28d_view/);
    expect(() => parseAttributionChoice("1d_click,28d_click")).toThrow(/one click window/);
    expect(() => parseAttributionChoice("1d_ev")).toThrow(/engaged view/);
    expect(() => parseAttributionChoice("<script>")).toThrow(/Unknown attribution window/);
  });

  it("every offered option parses, none uses a removed window", () => {
    for (const o of ATTRIBUTION_OPTIONS) expect(() => parseAttributionChoice(o.value)).not.toThrow();
    expect(ATTRIBUTION_OPTIONS.some((o) => /7d_view|28d_view/.test(o.value))).toBe(false);
  });

  it("keys and labels: explicit windows, Meta's attribution_setting text, and what cannot be parsed", () => {
    expect(attributionKey(["7d_click", "1d_view"])).toBe("7d_click,1d_view");
    expect(attributionKey(null, "7d_click_1d_view")).toBe("7d_click,1d_view");
    expect(keyFromMetaSetting("1d_click")).toBe("1d_click");
    expect(keyFromMetaSetting("mixed")).toBe("mixed");
    expect(keyFromMetaSetting(undefined)).toBe("account_default");
    expect(attributionLabel("7d_click,1d_view")).toBe("7-day click or 1-day view");
    expect(attributionLabel("28d_click")).toBe("28-day click");
  });

  it("insights params: windows when chosen, attribution_setting when the account's own", () => {
    expect(insightsAttributionParams(["1d_click"])).toEqual({ action_attribution_windows: ["1d_click"], extraFields: [] });
    expect(insightsAttributionParams(null)).toEqual({ extraFields: ["attribution_setting"] });
  });

  it("conversions under a choice: the picked action type's window keys summed exactly, never summed across types", () => {
    const actions = [
      { action_type: "link_click", value: "40" },
      { action_type: "omni_purchase", value: "9", "1d_click": "5", "7d_click": "7", "1d_view": "2" },
      { action_type: "offsite_conversion.fb_pixel_purchase", value: "9", "1d_click": "5", "7d_click": "7", "1d_view": "2" },
    ];
    const values = [{ action_type: "offsite_conversion.fb_pixel_purchase", value: "100.1", "1d_click": "60.05", "1d_view": "20.7" }];
    expect(conversionsUnder(actions, values, ["1d_click", "1d_view"])).toEqual({ conversions: "7", conversionValue: "80.75" });
    expect(conversionsUnder(actions, values, null)).toEqual({ conversions: "9", conversionValue: "100.1" });
    // a window Meta sent no key for counts zero
    expect(conversionsUnder(actions, values, ["28d_click"])).toEqual({ conversions: "0", conversionValue: "0" });
    expect(conversionsUnder(undefined, undefined, ["7d_click"])).toEqual({ conversions: "0", conversionValue: "0" });
    // value and count from the same type: a value with no count (or of another type) is not shown
    expect(conversionsUnder(undefined, values, null)).toEqual({ conversions: "0", conversionValue: "0" });
    expect(conversionsUnder(actions.slice(0, 2), values, null)).toEqual({ conversions: "9", conversionValue: "0" });
  });

  it("addDecimals is exact", () => {
    expect(addDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(addDecimals(["1234567890123.45", "0.005"])).toBe("1234567890123.455");
    expect(addDecimals(["-1.5", "1"])).toBe("-0.5");
    expect(() => addDecimals(["1e3"])).toThrow(/non-numeric/);
  });
});

describe("publisher platforms are open-ended", () => {
  it("labels known platforms, keeps unknown ones under their own name, orders known first", () => {
    expect(platformLabel("threads")).toBe("Threads");
    expect(platformLabel("oculus_feed")).toBe("oculus_feed");
    expect(["zeta", "threads", "instagram", "alpha", "facebook"].sort(comparePlatforms)).toEqual(["facebook", "instagram", "threads", "alpha", "zeta"]);
  });
});
