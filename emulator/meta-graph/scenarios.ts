/**
 * Control-API scenarios that put an ad account into a state Spendlane's alert rules must notice,
 * deterministically and reversibly (`POST /__emulator/scenarios/<name>`, JSON body):
 *
 * | scenario | body | effect |
 * |---|---|---|
 * | `spike` | `{account, date?, factor?=6, campaign?}` | adds spend on `date` (default: today in the account's zone) equal to `factor` x the account's median daily spend of the 14 days before, on its first campaign (facebook) |
 * | `zero-delivery` | `{account, date?}` | the account delivers nothing on `date` (default today): every unit of that day is scaled to 0 |
 * | `disable-account` | `{account, status?=2, reason?=1}` | `account_status` (and `disable_reason`) as Meta reports a disabled account |
 * | `expiring-token` | `{userId?, days?=3, systemUser?}` | issues a token that expires in `days` days (same answer as `POST /tokens`) |
 * | `clear` | `{account}` | undoes spike, zero-delivery and disable-account for the account |
 *
 * The spike amount is a pure function of the world, so two runs with the same seed and clock
 * produce the same numbers. Used by tests and for demos.
 */
import { createHmac } from "node:crypto";
import { dayNum, dayStr } from "./util";
import type { DataModel } from "./data";
import { PLATFORMS, type AdAccount, type World } from "./world";

/** What scenarios need of the emulator: an interface here, so this module does not import emulator.ts back. */
export interface ScenarioHost {
  readonly model: DataModel;
  readonly world: World;
  readonly appSecret: string;
  dataVersion: number;
  nowMs(): number;
  account(idOrAct: string): AdAccount | undefined;
  issueToken(userId: string, type: "USER" | "SYSTEM_USER", expiresInSeconds: number | null): { token: string; userId: string; type: string; expiresAt: number };
}
type Emulator = ScenarioHost;

interface Res {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}
const ok = (body: unknown): Res => ({ status: 200, headers: {}, body });
const bad = (message: string, status = 400): Res => ({ status, headers: {}, body: { error: message } });

interface Undo {
  spikes: { key: string; count: number }[];
  zeroDays: string[];
  status?: { accountStatus: number; disableReason: number };
}
const undoLog = new WeakMap<Emulator, Map<string, Undo>>();

function undoFor(emu: Emulator, acct: AdAccount): Undo {
  let m = undoLog.get(emu);
  if (!m) undoLog.set(emu, (m = new Map()));
  let u = m.get(acct.accountId);
  if (!u) m.set(acct.accountId, (u = { spikes: [], zeroDays: [] }));
  return u;
}

function dayOf(emu: Emulator, acct: AdAccount, date: unknown): number {
  if (date == null || date === "") return emu.model.nowCtx(acct, emu.nowMs()).today;
  const d = dayNum(String(date));
  if (Number.isNaN(d)) throw new Error("date must be YYYY-MM-DD");
  return d;
}

/** The account's spend (minor units) on one day as reported now, over all campaigns and platforms. */
function accountSpend(emu: Emulator, acct: AdAccount, day: number): number {
  const now = emu.model.nowCtx(acct, emu.nowMs());
  let total = 0;
  for (const c of acct.campaigns) for (let pi = 0; pi < PLATFORMS.length; pi++) total += emu.model.unit(c, pi, day, now)?.spend ?? 0;
  return total;
}

/** Handles `/scenarios/*`; null for any other control path. */
export function scenarioControl(emu: Emulator, method: string, path: string, body: Record<string, unknown>): Res | null {
  const m = /^\/scenarios\/([a-z-]+)\/?$/.exec(path);
  if (!m) return null;
  if (method !== "POST") return bad("scenarios are POST requests", 405);
  const name = m[1]!;
  if (name === "expiring-token") {
    const user = body.userId ? emu.world.users.find((u) => u.id === String(body.userId)) : emu.world.users[0];
    if (!user) return bad(`unknown user ${String(body.userId)}`, 404);
    const days = body.days != null ? Number(body.days) : 3;
    if (!(days > 0 && days <= 60)) return bad("days must be between 0 and 60");
    const sys = !!body.systemUser;
    const t = emu.issueToken(sys ? user.systemUserId : user.id, sys ? "SYSTEM_USER" : "USER", Math.round(days * 86400));
    return ok({
      access_token: t.token,
      user_id: t.userId,
      type: t.type,
      expires_at: t.expiresAt,
      appsecret_proof: createHmac("sha256", emu.appSecret).update(t.token).digest("hex"),
    });
  }
  const acct = emu.account(String(body.account ?? ""));
  if (!acct) return bad("unknown account", 404);
  const undo = undoFor(emu, acct);
  switch (name) {
    case "spike": {
      const day = dayOf(emu, acct, body.date);
      const factor = body.factor != null ? Number(body.factor) : 6;
      if (!(factor > 0 && factor <= 1000)) return bad("factor must be between 0 and 1000");
      const c = body.campaign ? acct.campaigns.find((x) => x.id === String(body.campaign)) : acct.campaigns[0];
      if (!c) return bad("unknown campaign (must belong to the account)", 404);
      const baseline = Array.from({ length: 14 }, (_, i) => accountSpend(emu, acct, day - 1 - i)).sort((a, b) => a - b);
      const median = Math.round((baseline[6]! + baseline[7]!) / 2);
      const spend = Math.max(acct.offset * 100, Math.round(median * factor));
      const impressions = Math.round((spend / acct.offset / acct.usdRate / 10) * 1000);
      const clicks = Math.round(impressions * 0.01);
      emu.model.addActivity(c, 0, day, { spend, impressions, clicks, link: clicks, purchases: 0, purchaseValue: 0, reach: Math.round(impressions / 1.25) });
      const key = `${c.id}|0|${day}`;
      undo.spikes.push({ key, count: emu.model.activity.get(key)!.length });
      emu.dataVersion++;
      return ok({ ok: true, account: acct.id, campaign: c.id, date: dayStr(day), spend_minor: spend, baseline_median_minor: median });
    }
    case "zero-delivery": {
      const day = dayOf(emu, acct, body.date);
      emu.model.restate.set(`${acct.accountId}|${day}`, 0);
      undo.zeroDays.push(`${acct.accountId}|${day}`);
      emu.dataVersion++;
      return ok({ ok: true, account: acct.id, date: dayStr(day) });
    }
    case "disable-account": {
      const status = body.status != null ? Number(body.status) : 2;
      if (![2, 3, 7, 8, 9, 100, 101].includes(status)) return bad("status must be one of Meta's non-active account_status values");
      undo.status ??= { accountStatus: acct.accountStatus, disableReason: acct.disableReason };
      acct.accountStatus = status;
      acct.disableReason = body.reason != null ? Number(body.reason) : status === 2 ? 1 : 0;
      return ok({ ok: true, account: acct.id, account_status: acct.accountStatus, disable_reason: acct.disableReason });
    }
    case "clear": {
      for (const s of [...undo.spikes].reverse()) {
        const list = emu.model.activity.get(s.key);
        if (list) list.splice(s.count - 1, 1);
        if (list && list.length === 0) emu.model.activity.delete(s.key);
      }
      for (const k of undo.zeroDays) emu.model.restate.delete(k);
      if (undo.status) {
        acct.accountStatus = undo.status.accountStatus;
        acct.disableReason = undo.status.disableReason;
      }
      undoLog.get(emu)?.delete(acct.accountId);
      emu.dataVersion++;
      return ok({ ok: true, account: acct.id });
    }
  }
  return bad(`unknown scenario ${name}`, 404);
}
