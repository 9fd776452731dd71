/**
 * Client reports in a real browser against the real server (production build, demo mode, embedded
 * database): the owner brands the agency (logo, colour), creates a monthly schedule for a client with
 * a viewer and an external recipient, sends a test and reads it in the dev outbox; the share link opens
 * logged out with the logo and colour (screenshots at 1440 and 375 px, and of the PDF's page 1 drawn
 * by pdf.js inside the browser from the local package), and answers 404 once revoked. A client viewer
 * cannot open or post to the schedules page; a member can create a schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import postgres from "postgres";
import type { Browser, Page } from "playwright-core";
import { hashPassword } from "../../app/.server/tenancy/users";
import { ARTIFACTS, launchBrowser, OUTCOME_TIMEOUT_MS, screenshot } from "./helpers/browser";
import { startServer, type RunningServer } from "./helpers/server";

let server: RunningServer;
let browser: Browser;
let sql: postgres.Sql;
const POLL = { timeout: OUTCOME_TIMEOUT_MS, interval: 200 };
const BASE = "/a/northwind/w/acme-outdoor/reports";
const stamp = Date.now().toString(36);
const VIEWER = { email: `viewer-${stamp}@example.test`, password: "viewer-password-1" };
const MEMBER = { email: `member-${stamp}@example.test`, password: "member-password-1" };
const EXTERNAL = `cfo-${stamp}@client.example`;
const BRAND = { name: "Northwind Reports", color: "#e11d48", rgb: "rgb(225, 29, 72)" };

/** A 64x24 PNG in the brand colour (valid chunks and CRCs), made here: nothing is downloaded. */
function logoPng(): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = table[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "ascii");
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const w = 64,
    h = 24;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.concat(
    Array.from({ length: h }, () => Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => [225, 29, 72]).flat())])),
  );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const { url } = JSON.parse(fs.readFileSync(path.join(server.dataDir, "socket.json"), "utf8")) as { url: string };
  sql = postgres(url, { max: 1, onnotice: () => {} });
  // a client viewer of Acme Outdoor and an agency member (as invitations would leave them)
  const [ws] = await sql<{ id: string; agency_id: string }[]>`select id, agency_id from public.workspaces where slug = 'acme-outdoor'`;
  const [viewer] = await sql<
    { id: string }[]
  >`insert into public.users (email, name, password_hash) values (${VIEWER.email}, 'Vera Viewer', ${await hashPassword(VIEWER.password)}) returning id`;
  await sql`insert into public.workspace_viewers (workspace_id, user_id, agency_id) values (${ws!.id}, ${viewer!.id}, ${ws!.agency_id})`;
  const [member] = await sql<
    { id: string }[]
  >`insert into public.users (email, name, password_hash) values (${MEMBER.email}, 'Milo Member', ${await hashPassword(MEMBER.password)}) returning id`;
  await sql`insert into public.agency_members (agency_id, user_id, role) values (${ws!.agency_id}, ${member!.id}, 'member')`;
});

afterAll(async () => {
  await sql?.end({ timeout: 2 });
  await browser?.close();
  await server?.stop();
});

async function logIn(email: string, password: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url, viewport });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/a/"));
  return page;
}

let owner: Page;
let shareLink: string;

describe("client reports", () => {
  it("the owner brands the agency and creates a monthly schedule with a viewer and an external recipient", async () => {
    owner = await logIn(server.demoLogin!.email, server.demoLogin!.password);
    await owner.goto("/a/northwind/branding");
    await owner.getByLabel("Display name").fill(BRAND.name);
    await owner.getByLabel("Brand colour").fill(BRAND.color);
    await owner.getByLabel("Reply-to address").fill("hello@northwind.example");
    await owner.setInputFiles("#logo", { name: "logo.png", mimeType: "image/png", buffer: logoPng() });
    await owner.getByRole("button", { name: "Save branding" }).click();
    await expect.poll(() => owner.getByText("Branding saved.").count(), POLL).toBe(1);
    await expect.poll(() => owner.getByTestId("current-logo").count(), POLL).toBe(1);

    await owner.goto(BASE);
    await owner.getByRole("button", { name: "Create the standard template" }).click();
    await expect.poll(() => owner.getByText("Template created.").count(), POLL).toBe(1);
    const form = owner.getByRole("form", { name: "New schedule" });
    await form.getByLabel("Name").fill("Monthly report");
    await form.getByLabel("Frequency").selectOption("monthly");
    await form.getByLabel("Day of month").selectOption("1");
    await form.getByLabel("Hour").selectOption("8");
    await form.getByLabel(/Vera Viewer/).check();
    await form.getByLabel(/Other recipients/).fill(EXTERNAL);
    await form.getByRole("button", { name: "Create schedule" }).click();
    await expect.poll(() => owner.getByText("Schedule saved.").count(), POLL).toBe(1);
    const schedule = owner.getByTestId("schedule").filter({ hasText: "Monthly report" });
    await expect.poll(() => schedule.textContent(), POLL).toContain(VIEWER.email);
    expect(await schedule.textContent()).toContain(EXTERNAL);
    expect(await schedule.textContent()).toContain("Monthly on day 1 at 08:00");
  });

  it("sends a test, which arrives in the outbox with the figures, the PDF and the link", async () => {
    await owner.getByTestId("schedule").filter({ hasText: "Monthly report" }).getByRole("button", { name: "Send a test to me" }).click();
    await expect.poll(() => owner.getByText(`Test sent to ${server.demoLogin!.email}.`).count(), POLL).toBe(1);
    await expect.poll(() => owner.getByTestId("delivery").filter({ hasText: "test" }).filter({ hasText: "sent" }).count(), POLL).toBe(1);
    await owner.goto(`/dev/outbox?to=${encodeURIComponent(server.demoLogin!.email)}`);
    const mail = owner.getByTestId("outbox-message").filter({ hasText: "[Test] Monthly report" }).first();
    await mail.waitFor();
    const text = (await mail.textContent())!;
    expect(text).toMatch(/Spend: \$[\d,]+\.\d\d/);
    expect(text).toContain("Reply-To: hello@northwind.example");
    expect(await mail.getByTestId("outbox-attachment").textContent()).toMatch(/acme-outdoor-.*\.pdf \(application\/pdf, \d+ bytes\)/);
    shareLink = (await mail.getByTestId("outbox-link").getAttribute("href"))!;
    expect(shareLink).toMatch(/\/r\/[A-Za-z0-9_-]{43}$/);
    // nobody but the tester got anything
    await owner.goto(`/dev/outbox?to=${encodeURIComponent(EXTERNAL)}`);
    await expect.poll(() => owner.getByText("No email yet").count(), POLL).toBe(1);
  });

  it("the share link opens logged out with the agency's logo and colour (1440 and 375 px)", async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const res = await page.goto(shareLink);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["x-robots-tag"]).toContain("noindex");
    await expect.poll(() => page.getByTestId("brand-name").textContent(), POLL).toBe(BRAND.name);
    await expect.poll(() => page.locator('meta[name="robots"]').getAttribute("content"), POLL).toContain("noindex");
    await expect.poll(() => page.getByTestId("brand-logo").evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), POLL).toBe(64);
    expect(await page.getByTestId("brand-bar").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(BRAND.rgb);
    expect(await page.getByTestId("kpi-USD-spend").getByTestId("kpi-value").textContent()).toMatch(/^\$[\d,]+\.\d\d$/);
    // nothing else of the app: no navigation, no login link, no other client
    expect(await page.getByRole("navigation").count()).toBe(0);
    expect(await page.getByText("Blue Harbor Coffee").count()).toBe(0);
    await screenshot(page, "report-share-1440");
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.getByTestId("brand-name").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await screenshot(page, "report-share-375");
    await context.close();
  });

  it("the PDF's first page, drawn by pdf.js in the browser, carries the figures and the page number", async () => {
    const pdf = Buffer.from(await (await fetch(`${shareLink}/pdf`)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const lib = fs.readFileSync(path.resolve("node_modules/pdfjs-dist/build/pdf.min.mjs"), "utf8");
    const worker = fs.readFileSync(path.resolve("node_modules/pdfjs-dist/build/pdf.worker.min.mjs"), "utf8");
    const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
    const page = await context.newPage();
    await page.setContent('<!doctype html><html><body style="margin:0;background:#888"><canvas id="c"></canvas></body></html>');
    await page.evaluate((input) => Object.assign(window, { __pdfInput: input }), { lib, worker, b64: pdf.toString("base64") });
    // A string, so the test runner's transform leaves the browser's own dynamic import() alone.
    const text = (await page.evaluate(`(async () => {
      const { lib, worker, b64 } = window.__pdfInput;
      const url = (code) => URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
      const pdfjs = await import(url(lib));
      pdfjs.GlobalWorkerOptions.workerSrc = url(worker);
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const doc = await pdfjs.getDocument({ data }).promise;
      const p = await doc.getPage(1);
      const viewport = p.getViewport({ scale: 1.5 });
      const canvas = document.getElementById("c");
      canvas.width = viewport.width;
      canvas.height = viewport.height;
      await p.render({ canvas, canvasContext: canvas.getContext("2d"), viewport }).promise;
      const content = await p.getTextContent();
      return content.items.map((i) => i.str ?? "").join(" ");
    })()`)) as string;
    expect(text).toContain(BRAND.name);
    expect(text).toMatch(/Spend\s+\$[\d,]+\.\d\d/);
    expect(text).toMatch(/Page 1 of \d/);
    expect(text).toContain("Powered by Spendlane");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator("#c").screenshot({ path: path.join(ARTIFACTS, "report-pdf-page1.png") });
    await context.close();
  });

  it("a client viewer cannot open or change the schedules; a member can create one", async () => {
    const viewer = await logIn(VIEWER.email, VIEWER.password);
    expect((await viewer.goto(BASE))?.status()).toBe(404);
    const post = await viewer.request.post(`${server.url}${BASE}`, { form: { intent: "create-standard-template" }, headers: { Origin: server.url } });
    expect(post.status()).toBe(404);
    expect(await sql`select 1 from public.report_templates t join public.workspaces w on w.id = t.workspace_id where w.slug = 'acme-outdoor'`).toHaveLength(1);

    const member = await logIn(MEMBER.email, MEMBER.password);
    await member.goto(BASE);
    const form = member.getByRole("form", { name: "New schedule" });
    await form.getByLabel("Name").fill("Weekly pulse");
    await form.getByLabel("Frequency").selectOption("weekly");
    await form.getByLabel("Weekday").selectOption("1");
    await form.getByLabel(/Other recipients/).fill(EXTERNAL);
    await form.getByRole("button", { name: "Create schedule" }).click();
    await expect.poll(() => member.getByTestId("schedule").filter({ hasText: "Weekly pulse" }).count(), POLL).toBe(1);
    expect(await member.getByTestId("schedule").filter({ hasText: "Weekly pulse" }).textContent()).toContain("Every Monday at 08:00");
  });

  it("the link answers 404 once revoked", async () => {
    await owner.goto(BASE);
    await owner.getByTestId("delivery").first().getByRole("button", { name: "Revoke link" }).click();
    await expect.poll(() => owner.getByText(/Link revoked/).count(), POLL).toBe(1);
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(shareLink);
    expect(res?.status()).toBe(404);
    await expect.poll(() => page.getByText("This report link is not available").count(), POLL).toBe(1);
    expect((await fetch(`${shareLink}/pdf`)).status).toBe(404);
    await context.close();
  });
});
