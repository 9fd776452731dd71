/** Ad accounts as Meta describes them: the ones a token can read, and one account's details. */
import { z } from "zod";
import { isMetaApiError } from "./errors";
import type { GraphClient } from "./graph";

export interface MetaAdAccount {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  accountStatus?: number;
}

const adAccountSchema = z.object({
  id: z.string(),
  name: z.string().default(""),
  currency: z.string(),
  timezone_name: z.string(),
  account_status: z.number().optional(),
});

const AD_ACCOUNT_FIELDS = "id,name,currency,timezone_name,account_status";

/** Every ad account the token can read (paged). */
export async function listMetaAdAccounts(graph: GraphClient): Promise<MetaAdAccount[]> {
  const out: MetaAdAccount[] = [];
  for await (const page of graph.pages("me/adaccounts", { fields: AD_ACCOUNT_FIELDS, limit: 100 }, adAccountSchema)) {
    for (const a of page) out.push({ id: a.id, name: a.name, currency: a.currency, timezone: a.timezone_name, accountStatus: a.account_status });
  }
  return out;
}

const ACCOUNT_DETAIL_FIELDS = "id,name,currency,timezone_name,account_status";

/**
 * The ad account's details including its attribution_spec when the API offers that field; some API
 * versions (and the local emulator) answer "nonexisting field", then we read without it.
 */
export async function readAccountDetails(graph: GraphClient, metaAccountId: string) {
  try {
    return await graph.get(metaAccountId, { fields: `${ACCOUNT_DETAIL_FIELDS},attribution_spec` }, accountDetailSchema);
  } catch (err) {
    if (!(isMetaApiError(err, "invalid_request") && /nonexisting field \(attribution_spec\)/.test(err.message))) throw err;
    return graph.get(metaAccountId, { fields: ACCOUNT_DETAIL_FIELDS }, accountDetailSchema);
  }
}
export type AccountDetails = z.infer<typeof accountDetailSchema>;
const accountDetailSchema = z.object({
  id: z.string().regex(/^act_\d+$/),
  name: z.string(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  timezone_name: z.string().min(1),
  account_status: z.number().optional(),
  attribution_spec: z.array(z.object({ event_type: z.string(), window_days: z.number() }).passthrough()).optional(),
});
