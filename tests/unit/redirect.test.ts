import { describe, expect, it } from "vitest";
import { safeRedirect } from "../../app/.server/auth/redirect";

describe("safeRedirect", () => {
  it.each([
    ["/a/acme", "/a/acme"],
    ["/a/acme/w/shop?range=7d#top", "/a/acme/w/shop?range=7d#top"],
    ["/", "/"],
  ])("keeps the same-site path %s", (input, out) => {
    expect(safeRedirect(input)).toBe(out);
  });

  it.each([
    ["//evil.example/x"],
    ["/\\evil.example"],
    ["\\\\evil.example"],
    ["https://evil.example/"],
    ["javascript:alert(1)"],
    ["evil.example"],
    ["/\t/evil.example"],
    ["/\n/evil.example"],
    [""],
    [null],
    [undefined],
    ["/" + "a".repeat(3000)],
  ])("refuses %j and falls back", (input) => {
    expect(safeRedirect(input as string | null | undefined)).toBe("/a");
    expect(safeRedirect(input as string | null | undefined, "/login")).toBe("/login");
  });

  it("refuses non-string form values", () => {
    expect(safeRedirect(new File(["x"], "x.txt"))).toBe("/a");
  });
});
