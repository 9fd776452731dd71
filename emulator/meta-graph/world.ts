import { dayNum, rngFor, localMidnightMs } from "./util";
import { DEMO_ACCOUNTS, buildDemoCampaign, type DemoAccountTemplate } from "./demo-world";

/**
 * Publisher platforms the emulator delivers on. Meta's list is open-ended (threads since 2025, position
 * `threads_feed`); consumers must not assume these are all there is.
 */
import { PLATFORMS, type Platform } from "./platforms";
export { PLATFORMS, type Platform } from "./platforms";

export const CURRENCIES: Record<string, { offset: number; usdRate: number }> = {
  USD: { offset: 100, usdRate: 1 },
  EUR: { offset: 100, usdRate: 0.92 },
  GBP: { offset: 100, usdRate: 0.79 },
  JPY: { offset: 1, usdRate: 150 },
};

/** Campaign start/stop dates are laid out relative to this fixed date, so the world never depends on the clock. */
export const WORLD_ANCHOR = "2026-06-01";

export interface Business {
  id: string;
  name: string;
}

export interface AdAccount {
  index: number;
  id: string; // "act_<digits>"
  accountId: string; // digits
  name: string;
  currency: string;
  offset: number;
  usdRate: number;
  timezone: string;
  timezoneId: number;
  accountStatus: number;
  disableReason: number;
  businessId: string | null;
  amountSpent: number; // offset units
  spendCap: number; // offset units, 0 = none
  createdDay: number;
  campaigns: Campaign[];
  audiencePool: number; // U_a for the reach model
  /** the attribution setting of the account's ad sets (decides `value` of conversion actions) */
  attributionSetting: string[];
}

export interface Campaign {
  index: number;
  id: string;
  accountId: string; // digits
  name: string;
  objective: string;
  status: "ACTIVE" | "PAUSED" | "ARCHIVED" | "DELETED";
  dailyBudget: number; // offset units
  startDay: number;
  endDay: number | null; // last day with delivery (inclusive)
  stopTimeDay: number | null; // stop_time shown on the object
  createdDay: number;
  updatedDay: number;
  platforms: Platform[];
  shares: number[]; // per PLATFORMS index
  cpmUsd: number;
  ctr: number;
  linkShare: number;
  cvr: number;
  aovMinor: number; // average order value, minor units
  leadRate: number;
  freq: number;
  audiencePool: number; // U_c for the reach model
  bidStrategy: string;
  /** ads per ad set (its length: the ad sets); unset: drawn from the seed (ads-world.ts) */
  adsPerSet?: number[];
}

export interface User {
  id: string;
  name: string;
  email: string;
  systemUserId: string;
  accountIds: string[]; // digits
}

export interface World {
  seed: string;
  businesses: Business[];
  accounts: AdAccount[];
  users: User[];
  accountsById: Map<string, AdAccount>; // by digits
  campaignsById: Map<string, Campaign>;
  usersById: Map<string, User>; // users and their system users
}

export interface WorldSpec {
  accounts?: number;
  campaignsPerAccount?: number;
  /** "demo": the hand-written healthy account mix of the demo (demo-world.ts) instead of the generated one */
  profile?: "demo";
}

interface AccountTemplate {
  name: string;
  currency: string;
  timezone: string;
  timezoneId: number;
  accountStatus: number;
  disableReason: number;
  business: number | null; // index into businesses
  campaigns: number;
  /** default ["7d_click","1d_view"] */
  attribution?: string[];
}

const BUSINESSES: Array<[string, string]> = [
  ["200000000000001", "Northwind Holdings"],
  ["200000000000002", "Sakura Group"],
  ["200000000000003", "Hudson Partners"],
];

const DEFAULT_ACCOUNTS: AccountTemplate[] = [
  {
    name: "Northwind Outdoor US",
    currency: "USD",
    timezone: "America/Los_Angeles",
    timezoneId: 1,
    accountStatus: 1,
    disableReason: 0,
    business: 0,
    campaigns: 12,
  },
  { name: "Northwind Outdoor EU", currency: "EUR", timezone: "Europe/Berlin", timezoneId: 71, accountStatus: 1, disableReason: 0, business: 0, campaigns: 24 },
  { name: "Sakura Cosmetics JP", currency: "JPY", timezone: "Asia/Tokyo", timezoneId: 157, accountStatus: 1, disableReason: 0, business: 1, campaigns: 60 },
  {
    name: "Sakura Cosmetics UK",
    currency: "GBP",
    timezone: "Europe/London",
    timezoneId: 69,
    accountStatus: 1,
    disableReason: 0,
    business: 1,
    campaigns: 8,
    attribution: ["1d_click"],
  },
  { name: "Hudson Legal NY", currency: "USD", timezone: "America/New_York", timezoneId: 7, accountStatus: 1, disableReason: 0, business: 2, campaigns: 30 },
  { name: "Hudson Legal Leads", currency: "USD", timezone: "America/New_York", timezoneId: 7, accountStatus: 3, disableReason: 0, business: 2, campaigns: 15 },
  { name: "Northwind Clearance", currency: "EUR", timezone: "Europe/Berlin", timezoneId: 71, accountStatus: 2, disableReason: 3, business: 0, campaigns: 5 },
  {
    name: "Personal Sandbox",
    currency: "USD",
    timezone: "America/Los_Angeles",
    timezoneId: 1,
    accountStatus: 101,
    disableReason: 0,
    business: null,
    campaigns: 6,
  },
];

const GENERATED_KINDS: Array<Pick<AccountTemplate, "currency" | "timezone" | "timezoneId">> = [
  { currency: "USD", timezone: "America/Los_Angeles", timezoneId: 1 },
  { currency: "EUR", timezone: "Europe/Berlin", timezoneId: 71 },
  { currency: "JPY", timezone: "Asia/Tokyo", timezoneId: 157 },
  { currency: "GBP", timezone: "Europe/London", timezoneId: 69 },
  { currency: "USD", timezone: "America/New_York", timezoneId: 7 },
];

const USER_DEFS: Array<{ id: string; name: string; email: string; access: "all" | "odd" | "even" | "none" }> = [
  { id: "100000000000001", name: "Alice Martin", email: "alice@example.test", access: "all" },
  { id: "100000000000002", name: "Bruno Keller", email: "bruno@example.test", access: "odd" },
  { id: "100000000000003", name: "Chika Tanaka", email: "chika@example.test", access: "even" },
  { id: "100000000000004", name: "Dana Nobody", email: "dana@example.test", access: "none" },
];

const OBJECTIVES: Array<[string, number]> = [
  ["OUTCOME_SALES", 0.5],
  ["OUTCOME_LEADS", 0.2],
  ["OUTCOME_TRAFFIC", 0.2],
  ["OUTCOME_AWARENESS", 0.1],
];
const NAME_A = ["Spring", "Summer", "Autumn", "Winter", "Evergreen", "Launch", "Retargeting", "Prospecting", "Brand", "Flash", "Holiday", "Always-on"];
const NAME_B = ["Sale", "Push", "Leads", "Traffic", "Awareness", "Catalog", "Promo", "Test", "Scale", "Lookalike"];

function pickWeighted<T>(r: number, items: Array<[T, number]>): T {
  let acc = 0;
  for (const [v, w] of items) {
    acc += w;
    if (r < acc) return v;
  }
  return items[items.length - 1]![0];
}

export function accountDigits(i: number): string {
  return `1010000000${String(i + 1).padStart(5, "0")}`;
}
export function campaignId(ai: number, ci: number): string {
  return `12020${String(ai + 1).padStart(4, "0")}${String(ci + 1).padStart(9, "0")}`;
}

export function buildWorld(seed: string, spec?: WorldSpec): World {
  const anchor = dayNum(WORLD_ANCHOR);
  const businesses = BUSINESSES.map(([id, name]) => ({ id, name }));
  let templates: Array<AccountTemplate & { demo?: DemoAccountTemplate }>;
  if (spec?.profile === "demo") {
    templates = DEMO_ACCOUNTS.map((d) => ({ ...d, campaigns: d.campaigns.length, demo: d }));
  } else if (spec && (spec.accounts != null || spec.campaignsPerAccount != null)) {
    const n = Math.max(1, Math.min(500, spec.accounts ?? DEFAULT_ACCOUNTS.length));
    templates = [];
    for (let i = 0; i < n; i++) {
      const base = i < DEFAULT_ACCOUNTS.length && spec.accounts == null ? DEFAULT_ACCOUNTS[i]! : null;
      const kind = GENERATED_KINDS[i % GENERATED_KINDS.length]!;
      templates.push(
        base
          ? { ...base, campaigns: spec.campaignsPerAccount ?? base.campaigns }
          : {
              name: `Account ${i + 1} (${kind.currency})`,
              ...kind,
              accountStatus: 1,
              disableReason: 0,
              business: i % businesses.length,
              campaigns: Math.max(0, Math.min(5000, spec.campaignsPerAccount ?? 10)),
            },
      );
    }
  } else {
    templates = DEFAULT_ACCOUNTS;
  }

  const accounts: AdAccount[] = [];
  const accountsById = new Map<string, AdAccount>();
  const campaignsById = new Map<string, Campaign>();
  templates.forEach((t, ai) => {
    const digits = accountDigits(ai);
    const cur = CURRENCIES[t.currency]!;
    const r = rngFor(seed, "account", digits);
    const acct: AdAccount = {
      index: ai,
      id: `act_${digits}`,
      accountId: digits,
      name: t.name,
      currency: t.currency,
      offset: cur.offset,
      usdRate: cur.usdRate,
      timezone: t.timezone,
      timezoneId: t.timezoneId,
      accountStatus: t.accountStatus,
      disableReason: t.disableReason,
      businessId: t.business == null ? null : businesses[t.business]!.id,
      amountSpent: Math.round((50_000 + r() * 5_000_000) * cur.usdRate) * cur.offset,
      spendCap: r() < 0.3 ? Math.round((1_000_000 + r() * 9_000_000) * cur.usdRate) * cur.offset : 0,
      createdDay: anchor - 1200 - Math.floor(r() * 200),
      campaigns: [],
      audiencePool: 0,
      attributionSetting: t.attribution ?? ["7d_click", "1d_view"],
    };
    for (let ci = 0; ci < t.campaigns; ci++) {
      const c = t.demo
        ? buildDemoCampaign(seed, acct, t.demo.campaigns[ci]!, ai, ci, t.demo.aovUsd, campaignId(ai, ci))
        : buildCampaign(seed, acct, ai, ci, anchor);
      acct.campaigns.push(c);
      campaignsById.set(c.id, c);
    }
    const pools = acct.campaigns.map((c) => c.audiencePool);
    acct.audiencePool = Math.max(1000, ...pools, Math.round(pools.reduce((a, b) => a + b, 0) * 0.55));
    accounts.push(acct);
    accountsById.set(digits, acct);
  });

  const users: User[] = USER_DEFS.map((u, ui) => ({
    id: u.id,
    name: u.name,
    email: u.email,
    systemUserId: `6155000000000${String(ui + 1).padStart(2, "0")}`,
    accountIds: accounts
      .filter((a) => u.access === "all" || (u.access === "odd" && a.index % 2 === 0) || (u.access === "even" && a.index % 2 === 1))
      .map((a) => a.accountId),
  }));
  const usersById = new Map<string, User>();
  for (const u of users) {
    usersById.set(u.id, u);
    usersById.set(u.systemUserId, { ...u, id: u.systemUserId, name: `${u.name} (system user)` });
  }
  return { seed, businesses, accounts, users, accountsById, campaignsById, usersById };
}

function buildCampaign(seed: string, acct: AdAccount, ai: number, ci: number, anchor: number): Campaign {
  const id = campaignId(ai, ci);
  const r = rngFor(seed, "campaign", id);
  const objective = pickWeighted(r(), OBJECTIVES);
  let status: Campaign["status"] = pickWeighted(r(), [
    ["ACTIVE", 0.55],
    ["PAUSED", 0.25],
    ["ARCHIVED", 0.12],
    ["DELETED", 0.08],
  ] as Array<[Campaign["status"], number]>);
  if (ci === 0) status = "ACTIVE";
  let startDay = anchor - 30 - Math.floor(r() * 870);
  if (ci === 0) startDay = anchor - 900; // the first campaign always has long history
  let endDay: number | null = null;
  let stopTimeDay: number | null = null;
  const late = r();
  if (status === "ACTIVE") {
    if (late < 0.1 && ci !== 0) startDay = anchor - 30 + Math.floor(r() * 180);
    if (late > 0.8 && ci !== 0) {
      stopTimeDay = startDay + 60 + Math.floor(r() * 400);
      endDay = stopTimeDay;
    }
  } else if (status === "PAUSED") {
    endDay = Math.min(anchor + 60, startDay + 20 + Math.floor(r() * 400));
  } else {
    endDay = Math.min(anchor - 1, startDay + 14 + Math.floor(r() * 200));
  }
  const budgetUsdCents = Math.round(2000 * Math.exp(r() * Math.log(30))); // $20 … $600
  const dailyBudget = Math.max(100, Math.round((budgetUsdCents / 100) * acct.usdRate * acct.offset));
  // The first campaign (always active, long history) delivers everywhere, Threads included.
  const onlyFbIg = r() < 0.3 && ci !== 0;
  // Threads delivery for the first campaign and about a third of the others (its own draw, so the
  // rest of the campaign is generated as before).
  const threads = !onlyFbIg && (ci === 0 || rngFor(seed, "threads", id)() < 0.35);
  const platforms: Platform[] = onlyFbIg ? ["facebook", "instagram"] : PLATFORMS.filter((p) => p !== "threads" || threads);
  const rawShares = [
    0.55 + r() * 0.15,
    0.25 + r() * 0.15,
    onlyFbIg ? 0 : 0.05 + r() * 0.05,
    onlyFbIg ? 0 : 0.02 + r() * 0.03,
    threads ? 0.04 + rngFor(seed, "threads-share", id)() * 0.04 : 0,
  ];
  const tot = rawShares.reduce((a, b) => a + b, 0);
  const cpmUsd = 4 + r() * 14;
  const expectedDailyImpr = (budgetUsdCents / 100 / cpmUsd) * 1000;
  return {
    index: ci,
    id,
    accountId: acct.accountId,
    name: `${NAME_A[Math.floor(r() * NAME_A.length)]} ${NAME_B[Math.floor(r() * NAME_B.length)]} #${ci + 1}`,
    objective,
    status,
    dailyBudget,
    startDay,
    endDay,
    stopTimeDay,
    createdDay: startDay - Math.floor(r() * 4),
    updatedDay: endDay != null && status !== "ACTIVE" ? endDay : startDay,
    platforms,
    shares: rawShares.map((s) => s / tot),
    cpmUsd,
    ctr: 0.007 + r() * 0.018,
    linkShare: 0.55 + r() * 0.25,
    cvr: objective === "OUTCOME_SALES" ? 0.01 + r() * 0.035 : objective === "OUTCOME_TRAFFIC" ? r() * 0.006 : 0,
    aovMinor: Math.round((25 + r() * 120) * acct.usdRate * acct.offset),
    leadRate: objective === "OUTCOME_LEADS" ? 0.04 + r() * 0.08 : 0,
    freq: 1.08 + r() * 0.5,
    audiencePool: Math.max(2000, Math.round(expectedDailyImpr * (6 + r() * 30))),
    bidStrategy: r() < 0.7 ? "LOWEST_COST_WITHOUT_CAP" : "COST_CAP",
  };
}

export function campaignStartMs(c: Campaign, a: AdAccount): number {
  return localMidnightMs(c.startDay, a.timezone);
}
