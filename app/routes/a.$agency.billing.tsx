import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { requireAgencyRole } from "~/.server/auth";
import { getBillingOverview, openPortal, startCheckout } from "~/.server/billing/account";
import { PaymentProviderError } from "~/.server/billing/stripe";
import { expectedFailure } from "~/.server/errors";
import { parseForm } from "~/.server/forms";
import { Alert, Badge, Button, Card, CardTitle, PageHeader, cx } from "~/components/ui";
import { formatStripeAmount } from "~/utils/stripe-money";
import { appBaseUrl } from "~/.server/mail";

export const meta: MetaFunction = () => [{ title: "Billing · Spendlane" }];

// Billing is for owners only: admins get 403, members and viewers never see it in the navigation.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner"]);
  const overview = await getBillingOverview(user.id, agency.id);
  return { agency, ...overview };
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("checkout"), planId: z.string().optional(), interval: z.string().optional() }),
  z.object({ intent: z.literal("portal") }),
]);

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner"]);
  const form = await request.formData();
  const appUrl = appBaseUrl(request);
  try {
    const input = parseForm(actionSchema, form, "Unknown billing action");
    const target =
      input.intent === "checkout"
        ? await startCheckout(user, agency.id, { planId: input.planId, interval: input.interval || undefined }, appUrl)
        : await openPortal(user, agency.id, appUrl);
    // Stripe-hosted page (Checkout or the Customer Portal)
    return redirect(target.url);
  } catch (err) {
    // Stripe being down is not the agency's mistake: 502, with Stripe's words (never a secret).
    if (err instanceof PaymentProviderError) return data({ error: err.message }, { status: 502 });
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ error: failure.error }, { status: failure.status });
  }
}

const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });
const fmtDate = (d: string | Date | null | undefined) => (d ? dateFmt.format(new Date(d)) : "—");
// Stripe amounts are in the currency's smallest unit, which is not always a hundredth (JPY has none).
const fmtMoney = (amount: number, currency: string) => formatStripeAmount(amount, currency);

const STATUS: Record<string, { label: string; tone: "green" | "amber" | "red" | "blue" | "neutral" }> = {
  trialing: { label: "Trial", tone: "blue" },
  active: { label: "Active", tone: "green" },
  past_due: { label: "Payment failed", tone: "amber" },
  unpaid: { label: "Unpaid", tone: "red" },
  canceled: { label: "Canceled", tone: "red" },
  incomplete: { label: "Incomplete", tone: "amber" },
  none: { label: "No subscription", tone: "neutral" },
};

export default function Billing() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const [params] = useSearchParams();
  const busy = nav.state !== "idle" && nav.formMethod === "POST";
  const status = STATUS[d.limits.status] ?? { label: d.limits.status, tone: "neutral" as const };
  const canBuy = d.limits.billingEnabled;
  return (
    <>
      <PageHeader
        title="Billing"
        description="Your plan, what it includes, and payments."
        actions={
          canBuy ? (
            <Form method="post">
              <input type="hidden" name="intent" value="portal" />
              <Button type="submit" variant="secondary" busy={busy} busyLabel="Opening…">
                Manage billing
              </Button>
            </Form>
          ) : null
        }
      />
      <div className="space-y-6">
        {!d.limits.billingEnabled ? (
          <Alert tone="info" title="Billing is off on this installation">
            No Stripe account is configured (STRIPE_SECRET_KEY), so nothing can be bought and nothing expires. Plan limits still apply; the trial keeps
            Growth&apos;s limits.
          </Alert>
        ) : null}
        {params.get("checkout") === "success" ? (
          <Alert tone="success" title="Thank you!">
            Your subscription is being activated; this page updates as soon as Stripe confirms it.
          </Alert>
        ) : null}
        {params.get("checkout") === "canceled" ? <Alert tone="info">Checkout was canceled; nothing was charged.</Alert> : null}
        {params.get("changed") ? <Alert tone="success">Plan change confirmed; the new limits apply as soon as Stripe reports it.</Alert> : null}
        {result?.error ? <Alert tone="error" title={result.error} /> : null}
        {d.limits.readOnly ? (
          <Alert tone="error" title="This agency is read-only">
            Syncing is paused and nothing can be changed. All your data is kept; subscribe to continue.
          </Alert>
        ) : null}

        <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
          <Card>
            <CardTitle>Current plan</CardTitle>
            <div className="flex items-center gap-2">
              <span className="text-2xl font-semibold text-zinc-50">{d.limits.planName}</span>
              {d.limits.planId === "trial" && d.limits.status === "trialing" ? null : <Badge tone={status.tone}>{status.label}</Badge>}
            </div>
            <dl className="mt-4 space-y-1 text-sm text-zinc-400">
              {d.limits.status === "trialing" && d.limits.billingEnabled ? <Row label="Trial ends" value={fmtDate(d.trialEndsAt)} /> : null}
              {d.limits.graceEndsAt ? <Row label="Grace period ends" value={fmtDate(d.limits.graceEndsAt)} /> : null}
              {d.currentPeriodEnd ? <Row label={d.cancelAtPeriodEnd ? "Ends on" : "Renews on"} value={fmtDate(d.currentPeriodEnd)} /> : null}
              {d.interval ? <Row label="Billed" value={d.interval === "year" ? "Yearly" : "Monthly"} /> : null}
              <Row label="Data refresh" value={d.limits.refreshMinutes >= 60 ? "Hourly" : `Every ${d.limits.refreshMinutes} minutes`} />
            </dl>
          </Card>
          <Card>
            <CardTitle>Usage</CardTitle>
            <Meter label="Active clients" used={d.usage.clients} limit={d.limits.clients} />
            <Meter label="Seats" used={d.usage.seats} limit={d.limits.seats} />
            <p className="mt-3 text-xs text-zinc-500">Archived clients and client viewers are free.</p>
          </Card>
          <Card>
            <CardTitle>Next invoice</CardTitle>
            {d.nextInvoice ? (
              <p className="text-sm text-zinc-300">
                <span className="text-2xl font-semibold text-zinc-50">{fmtMoney(d.nextInvoice.amountDue, d.nextInvoice.currency)}</span>
                <br />
                on {fmtDate(d.nextInvoice.date)}
              </p>
            ) : (
              <p className="text-sm text-zinc-400">{d.nextInvoiceError ?? (d.hasSubscription ? "No upcoming invoice." : "No subscription yet.")}</p>
            )}
          </Card>
        </div>

        <Card>
          <CardTitle
            description={
              d.hasSubscription ? "Changing plan opens Stripe to confirm the new price; the difference is prorated." : "Subscribe through Stripe Checkout."
            }
          >
            {d.hasSubscription ? "Change plan" : "Choose a plan"}
          </CardTitle>
          <ul className="grid gap-4 md:grid-cols-3">
            {d.plans
              .filter((p) => p.purchasable)
              .map((p) => {
                const current = p.id === d.limits.planId && d.hasSubscription;
                return (
                  <li key={p.id} className={cx("rounded-lg border p-4", current ? "border-blue-500/50" : "border-zinc-800")}>
                    <p className="font-semibold text-zinc-100">
                      {p.name} {current ? <Badge tone="blue">Current</Badge> : null}
                    </p>
                    <ul className="mt-2 space-y-0.5 text-sm text-zinc-400">
                      <li>{p.clients === null ? "Unlimited clients" : `${p.clients} clients`}</li>
                      <li>{p.seats} seats</li>
                      <li>{p.refreshMinutes >= 60 ? "Hourly refresh" : `Refresh every ${p.refreshMinutes} minutes`}</li>
                    </ul>
                    {canBuy && !current ? (
                      <Form method="post" className="mt-3 flex flex-wrap gap-2">
                        <input type="hidden" name="intent" value="checkout" />
                        <input type="hidden" name="planId" value={p.id} />
                        <Button type="submit" name="interval" value="month" size="sm" disabled={busy || !p.prices.month}>
                          {d.hasSubscription ? "Switch monthly" : "Monthly"}
                        </Button>
                        <Button type="submit" name="interval" value="year" size="sm" variant="secondary" disabled={busy || !p.prices.year}>
                          {d.hasSubscription ? "Switch yearly" : "Yearly"}
                        </Button>
                      </Form>
                    ) : null}
                  </li>
                );
              })}
          </ul>
        </Card>
      </div>
    </>
  );
}

function Row({ label, value }: { label: string; value: string }) {
  return (
    <div className="flex justify-between gap-4">
      <dt>{label}</dt>
      <dd className="text-zinc-200">{value}</dd>
    </div>
  );
}

function Meter({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  const full = limit !== null && used >= limit;
  return (
    <div className="mb-3">
      <div className="flex justify-between text-sm">
        <span className="text-zinc-300">{label}</span>
        <span className={full ? "text-amber-300" : "text-zinc-400"}>
          {used} / {limit === null ? "unlimited" : limit}
        </span>
      </div>
      {limit !== null ? (
        <div className="mt-1 h-1.5 rounded-full bg-zinc-800" role="progressbar" aria-label={label} aria-valuenow={used} aria-valuemin={0} aria-valuemax={limit}>
          <div className={cx("h-1.5 rounded-full", full ? "bg-amber-400" : "bg-blue-500")} style={{ width: `${pct}%` }} />
        </div>
      ) : null}
    </div>
  );
}
