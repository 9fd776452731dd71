/**
 * Every URL that carries an agency's (or its workspace's) ids, for the cross-tenant test in
 * tests/integration/routes-404.test.ts: a user of agency B must get 404 on each of them, while A's
 * owner gets through (so each line is known to be a real page). Add your page's URLs here.
 */
export interface TenantIds {
  agency: string;
  /** slug of A's first client workspace (A's viewer can see it) */
  workspace: string;
  /** slug of A's second client workspace */
  workspace2: string;
  /** id of the first workspace (for URLs carrying ids rather than slugs) */
  workspaceId: string;
}

export interface TenantUrl {
  path: (ids: TenantIds) => string;
  method?: "GET" | "POST";
  /** form fields for POST */
  form?: Record<string, string>;
}

export const TENANT_URLS: TenantUrl[] = [
  { path: (a) => `/a/${a.agency}` },
  { path: (a) => `/a/${a.agency}/clients` },
  { path: (a) => `/a/${a.agency}/clients`, method: "POST", form: { name: "Sneaky client" } },
  { path: (a) => `/a/${a.agency}/billing` },
  // team (issue 7)
  { path: (a) => `/a/${a.agency}/team` },
  { path: (a) => `/a/${a.agency}/team`, method: "POST", form: { intent: "invite", email: "sneaky-member@example.test", role: "member" } },
  { path: (a) => `/a/${a.agency}/audit` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/settings` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/settings`, method: "POST", form: { intent: "invite", email: "sneaky-viewer@example.test" } },
  // dashboards, connections, exports
  { path: (a) => `/a/${a.agency}/w/${a.workspace}` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace2}` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/connections` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/export/daily` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/export/campaigns` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/refresh`, method: "POST" },
  { path: (a) => `/a/${a.agency}/export` },
  // client reports (issue 15)
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/reports` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/reports`, method: "POST", form: { intent: "create-standard-template" } },
  { path: (a) => `/a/${a.agency}/branding` },
  { path: (a) => `/a/${a.agency}/branding`, method: "POST", form: { brandColor: "#000000", timezone: "UTC", pageSize: "A4" } },
  // goals and alerts (issue 16)
  { path: (a) => `/a/${a.agency}/alerts` },
  { path: (a) => `/a/${a.agency}/alerts?status=all&client=${a.workspace}` },
  { path: (a) => `/a/${a.agency}/alerts/settings` },
  { path: (a) => `/a/${a.agency}/alerts/settings`, method: "POST", form: { intent: "agency", pacingAlertPct: "50", targetWindowDays: "3" } },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/alerts` },
  { path: (a) => `/a/${a.agency}/w/${a.workspace}/alerts`, method: "POST", form: { currency: "USD", effectiveFrom: "2026-12-01", monthlyBudget: "1" } },
];
