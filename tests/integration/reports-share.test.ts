/**
 * Acceptance (isolation): a share link answers 404 when tampered with, revoked, expired, or when its
 * agency's data is asked for through another agency's link; the page carries noindex and no-store and
 * shows only its own report; requests are rate-limited. Also branding validation (logo type and size,
 * colour) and the "Powered by Spendlane" footer following the plan.
 */
import { describe, expect, it } from "vitest";
import { RATE_LIMITS } from "../../app/.server/security/rate-limit";
import { deflateSync } from "node:zlib";
import { asService, sql } from "../../app/.server/db/connection";
import { InputError, LimitError, NotFoundError } from "../../app/.server/errors";
import { getBranding, MAX_LOGO_BYTES, saveBranding, validateLogo } from "../../app/.server/reports/branding";
import { planRun } from "../../app/.server/reports/delivery";
import { saveSchedule, saveTemplate, standardTemplate } from "../../app/.server/reports/schedules";
import { hashShareToken, openShareLink, revokeShareLink, shareToken } from "../../app/.server/reports/share";
import { loader as shareLoader, headers as shareHeaders } from "../../app/routes/r.$token";
import { loader as pdfLoader } from "../../app/routes/r.$token_.pdf";
import { createAgencyFixture, uniq } from "../helpers/factories";
import { requestAs } from "../helpers/session";
import { withRoomInWindow } from "../helpers/rate-windows";
import { loader as workspaceLayoutLoader } from "../../app/routes/a.$agency.w.$workspace";

const PERIOD = { since: "2026-10-01", until: "2026-10-31" };

/** A real 2x2 PNG (signature, IHDR, IDAT, IEND with CRCs). */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const raw = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

async function linkFor() {
  const f = await createAgencyFixture({ workspaces: 1 });
  const ws = f.workspaces[0]!.id;
  const templateId = await saveTemplate(f.owner.id, ws, { ...standardTemplate(), name: `Report ${uniq()}` });
  const scheduleId = await saveSchedule(f.owner.id, ws, {
    templateId,
    name: "Monthly",
    frequency: "monthly",
    dayOfMonth: 2,
    hour: 9,
    viewerIds: [f.viewer.id],
  });
  const plan = await planRun(scheduleId, { kind: "scheduled", period: PERIOD });
  return { f, ws, scheduleId, linkId: plan.shareLinkId, token: shareToken(plan.shareLinkId) };
}

/** A client address no other request of this run has used (a random one collided now and then and filled the rate-limit test's bucket early). */
let lastIp = 0;
const ip = () => `198.51.100.${++lastIp}`;
async function status(token: string, clientIp = ip()): Promise<number> {
  try {
    await shareLoader({ params: { token }, context: { clientIp }, request: new Request(`http://x/r/${token}`) } as never);
    return 200;
  } catch (err) {
    if (err instanceof Response) return err.status;
    throw err;
  }
}

describe("share links", () => {
  it("open with their token; the database holds only the token's hash", async () => {
    const { linkId, token, f } = await linkFor();
    expect(await status(token)).toBe(200);
    const [row] = await asService((tx) => tx<{ token_hash: string }[]>`select token_hash from public.report_share_links where id = ${linkId}`);
    expect(row!.token_hash).toBe(hashShareToken(token));
    expect(row!.token_hash).not.toContain(token);
    const page = (await shareLoader({ params: { token }, context: { clientIp: ip() }, request: new Request("http://x") } as never)) as {
      report: { brand: { name: string }; client: string };
    };
    expect(page.report.client).toBe("Client 1");
    expect(page.report.brand.name).toBe((await asService((tx) => getBranding(tx, f.agency.id))).displayName);
    const h = new Headers(shareHeaders({} as never) as HeadersInit);
    expect(h.get("X-Robots-Tag")).toContain("noindex");
    expect(h.get("Cache-Control")).toContain("no-store");
    expect(h.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("answer 404 when tampered with, malformed, revoked or expired", async () => {
    const { linkId, token, f } = await linkFor();
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(await status(flipped)).toBe(404);
    expect(await status(token.slice(1))).toBe(404);
    expect(await status("../../etc/passwd")).toBe(404);
    // a token for an id that is not a link (as if forged with another secret or for another row)
    expect(await status(shareToken(crypto.randomUUID()))).toBe(404);
    // expired
    await sql()`update public.report_share_links set expires_at = now() - interval '1 second' where id = ${linkId}`;
    expect(await status(token)).toBe(404);
    await sql()`update public.report_share_links set expires_at = now() + interval '90 days' where id = ${linkId}`;
    expect(await status(token)).toBe(200);
    // revoked: by staff of the agency (a member), not by another agency
    const other = await createAgencyFixture({ workspaces: 1 });
    await expect(revokeShareLink(other.owner.id, f.agency.id, linkId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeShareLink(other.owner.id, other.agency.id, linkId)).rejects.toBeInstanceOf(NotFoundError);
    await expect(revokeShareLink(f.viewer.id, f.agency.id, linkId)).rejects.toBeInstanceOf(NotFoundError);
    expect(await status(token)).toBe(200);
    await revokeShareLink(f.member.id, f.agency.id, linkId);
    expect(await status(token)).toBe(404);
    await expect(openShareLink(token)).rejects.toBeInstanceOf(NotFoundError);
    // the PDF route too
    await expect(pdfLoader({ params: { token }, context: { clientIp: ip() }, request: new Request("http://x") } as never)).rejects.toMatchObject({
      status: 404,
    });
  });

  it("another agency's token shows that agency's report only, never this one's", async () => {
    const a = await linkFor();
    const b = await linkFor();
    const pa = (await shareLoader({ params: { token: a.token }, context: { clientIp: ip() }, request: new Request("http://x") } as never)) as {
      report: { brand: { name: string } };
    };
    const pb = (await shareLoader({ params: { token: b.token }, context: { clientIp: ip() }, request: new Request("http://x") } as never)) as {
      report: { brand: { name: string } };
    };
    expect(pa.report.brand.name).not.toBe(pb.report.brand.name);
    // a link row moved to another agency's workspace is refused (agency and workspace must agree)
    await sql()`update public.report_share_links set agency_id = ${b.f.agency.id} where id = ${a.linkId}`;
    expect(await status(a.token)).toBe(404);
  });

  it("are rate-limited per client address", async () => {
    const { token } = await linkFor();
    const from = ip();
    const results: number[] = [];
    await withRoomInWindow(RATE_LIMITS.report_share.ip.windowSeconds, 40);
    for (let i = 0; i < 62; i++) results.push(await status(token, from));
    expect(results.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(results.at(-1)).toBe(429);
    expect(await status(token, ip())).toBe(200);
  }, 180_000);
});

describe("branding", () => {
  const base = { brandColor: "#FF6600", timezone: "Europe/Berlin", pageSize: "LETTER" as const };

  it("validates the logo by its bytes and size, and the colour", async () => {
    expect(validateLogo(tinyPng()).type).toBe("image/png");
    expect(() => validateLogo(Buffer.from("<svg onload=alert(1)></svg>"))).toThrow(InputError);
    expect(() => validateLogo(Buffer.from("GIF89a....."))).toThrow(/PNG or JPEG/);
    expect(() => validateLogo(Buffer.concat([tinyPng(), Buffer.alloc(MAX_LOGO_BYTES)]))).toThrow(/too large/);
    // right signature, broken image
    expect(() => validateLogo(Buffer.concat([tinyPng().subarray(0, 12), Buffer.alloc(40)]))).toThrow(InputError);
    const f = await createAgencyFixture({ workspaces: 0 });
    await expect(saveBranding(f.owner.id, f.agency.id, { ...base, brandColor: "red" })).rejects.toThrow(InputError);
    await expect(saveBranding(f.owner.id, f.agency.id, { ...base, timezone: "Mars/Olympus" })).rejects.toThrow(InputError);
    await saveBranding(f.owner.id, f.agency.id, { ...base, displayName: "Acme <Reports>", replyTo: "AM@Acme.test" }, tinyPng());
    const b = await asService((tx) => getBranding(tx, f.agency.id));
    expect(b).toMatchObject({ displayName: "Acme <Reports>", brandColor: "#ff6600", replyTo: "am@acme.test", pageSize: "LETTER", timezone: "Europe/Berlin" });
    expect(b.logo?.type).toBe("image/png");
    // saving without a file keeps the logo; members cannot change branding
    await saveBranding(f.owner.id, f.agency.id, base);
    expect((await asService((tx) => getBranding(tx, f.agency.id))).logo).not.toBeNull();
    await expect(saveBranding(f.member.id, f.agency.id, base)).rejects.toThrow();
    // the database caps the size whoever writes
    await expect(
      asService((tx) => tx`update public.agency_branding set logo = ${Buffer.alloc(MAX_LOGO_BYTES + 1)} where agency_id = ${f.agency.id}`),
    ).rejects.toThrow(/check constraint/);
  });

  it("'Powered by Spendlane' is removable only on plans with white label", async () => {
    const f = await createAgencyFixture({ workspaces: 0 });
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    await expect(saveBranding(f.owner.id, f.agency.id, { ...base, hidePoweredBy: true })).rejects.toBeInstanceOf(LimitError);
    await asService((tx) => tx`update public.agencies set plan_id = 'growth' where id = ${f.agency.id}`);
    await saveBranding(f.owner.id, f.agency.id, { ...base, hidePoweredBy: true });
    expect((await asService((tx) => getBranding(tx, f.agency.id))).poweredBy).toBe(false);
    // a downgrade brings the footer back without anyone editing the branding
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    expect((await asService((tx) => getBranding(tx, f.agency.id))).poweredBy).toBe(true);
  });

  it("client viewers' pages carry the agency's white label; staff pages stay Spendlane's", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await saveBranding(f.owner.id, f.agency.id, { ...base, displayName: "Acme Reports" }, tinyPng());
    const path = `/a/${f.agency.slug}/w/${f.workspaces[0]!.slug}`;
    const load = async (userId: string) =>
      (await workspaceLayoutLoader({
        request: await requestAs(userId, path),
        params: { agency: f.agency.slug, workspace: f.workspaces[0]!.slug },
        context: {},
      } as never)) as { brand: { name: string; color: string; logo: string | null } | null };
    const seen = await load(f.viewer.id);
    expect(seen.brand).toMatchObject({ name: "Acme Reports", color: "#ff6600" });
    expect(seen.brand!.logo).toMatch(/^data:image\/png;base64,/);
    expect((await load(f.member.id)).brand).toBeNull();
  });

  it("report schedules are limited per plan", async () => {
    const f = await createAgencyFixture({ workspaces: 1 });
    await asService((tx) => tx`update public.agencies set plan_id = 'starter' where id = ${f.agency.id}`);
    const ws = f.workspaces[0]!.id;
    const templateId = await saveTemplate(f.owner.id, ws, standardTemplate());
    const input = { templateId, name: "Weekly", frequency: "weekly" as const, weekday: 1, hour: 7, externalEmails: ["c@example.test"] };
    for (let i = 0; i < 5; i++) await saveSchedule(f.member.id, ws, input);
    await expect(saveSchedule(f.member.id, ws, input)).rejects.toBeInstanceOf(LimitError);
  });
});
