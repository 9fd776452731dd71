import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { forbidden, requireWorkspace } from "~/.server/auth";
import { RULES, RULE_LABELS } from "~/.server/alerts/rules";
import { addTarget, listAlerts, listTargets, parseAlertFilter } from "~/.server/alerts/service";
import { currenciesOf } from "~/.server/alerts/views";
import { expectedFailure } from "~/.server/errors";
import { AlertFilters, AlertList } from "~/components/alerts/alert-list";
import { Alert, Button, Card, CardTitle, Field, RouteErrorAlert } from "~/components/ui";
import { useLiveUpdates } from "~/hooks/useLiveUpdates";
import { formatMoney } from "~/utils/format";

export const meta: MetaFunction = () => [{ title: "Goals and alerts · Spendlane" }];

export const handle = { liveStream: true };

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, workspace, canManage } = await requireWorkspace(request, params.agency, params.workspace);
  const filter = parseAlertFilter(new URL(request.url));
  const [alerts, targets, currencies] = await Promise.all([
    listAlerts(user.id, agency.id, filter, { workspaceId: workspace.id }),
    listTargets(user.id, workspace.id),
    currenciesOf(user.id, workspace.id),
  ]);
  const saved = /^[A-Z]{3} \d{4}-\d{2}-\d{2}$/.exec(new URL(request.url).searchParams.get("saved") ?? "")?.[0] ?? null;
  return { workspaceId: workspace.id, saved, filter, alerts, targets, currencies, canManage, rules: RULES.map((r) => ({ value: r, label: RULE_LABELS[r] })) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, workspace, canManage } = await requireWorkspace(request, params.agency, params.workspace);
  if (!canManage) forbidden();
  const form = Object.fromEntries(await request.formData());
  const values = Object.fromEntries(
    ["currency", "effectiveFrom", "monthlyBudget", "dailyBudget", "targetCpa", "targetRoas"].map((k) => [k, String(form[k] ?? "").slice(0, 40)]),
  );
  try {
    const currencies = (await currenciesOf(user.id, workspace.id)).map((c) => c.currency);
    await addTarget(user.id, workspace.id, values, currencies);
    // post/redirect/get: the page then loads after the commit, never racing a live revalidation
    const url = new URL(request.url);
    return redirect(`${url.pathname}?${new URLSearchParams({ saved: `${values.currency} ${values.effectiveFrom}` })}`);
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, error: failure.error, fields: failure.fields, values }, { status: failure.status });
  }
}

export default function WorkspaceGoals() {
  const d = useLoaderData<typeof loader>();
  const r = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  useLiveUpdates({ workspaceIds: [d.workspaceId] });
  const v = (r?.values ?? {}) as Record<string, string>;
  return (
    <div className="space-y-6">
      {d.saved && !r ? (
        <Alert tone="success">
          Targets for {d.saved.slice(0, 3)} apply from {d.saved.slice(4)}.
        </Alert>
      ) : null}
      {r?.error ? (
        <Alert tone="error" title={r.error}>
          {Object.values(r.fields).join(" ")}
        </Alert>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        {d.canManage && d.currencies.length > 0 ? (
          <Card>
            <CardTitle description="Per currency group. A change applies from its date; earlier months keep the targets they had.">Set targets</CardTitle>
            <Form method="post" className="grid grid-cols-2 gap-3">
              <label className="space-y-1.5 text-sm font-medium text-zinc-300">
                <span className="block">Currency</span>
                <select
                  name="currency"
                  defaultValue={v.currency ?? d.currencies[0]?.currency}
                  className="block w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-2 text-sm text-zinc-100"
                >
                  {d.currencies.map((c) => (
                    <option key={c.currency} value={c.currency}>
                      {c.currency}
                    </option>
                  ))}
                </select>
              </label>
              <Field
                label="Applies from"
                name="effectiveFrom"
                type="date"
                required
                defaultValue={v.effectiveFrom ?? `${d.currencies[0]!.today.slice(0, 7)}-01`}
                error={r?.fields.effectiveFrom}
              />
              <Field label="Monthly budget" name="monthlyBudget" inputMode="decimal" defaultValue={v.monthlyBudget} error={r?.fields.monthlyBudget} />
              <Field label="Daily budget (optional)" name="dailyBudget" inputMode="decimal" defaultValue={v.dailyBudget} error={r?.fields.dailyBudget} />
              <Field label="Target CPA (max)" name="targetCpa" inputMode="decimal" defaultValue={v.targetCpa} error={r?.fields.targetCpa} />
              <Field label="Target ROAS (min)" name="targetRoas" inputMode="decimal" defaultValue={v.targetRoas} error={r?.fields.targetRoas} />
              <div className="col-span-2">
                <Button type="submit" disabled={busy}>
                  Save targets
                </Button>
              </div>
            </Form>
          </Card>
        ) : null}
        <Card>
          <CardTitle description="Newest first per currency; a row applies until the next one.">Target history</CardTitle>
          {d.targets.length === 0 ? (
            <p className="text-sm text-zinc-500">No targets yet.</p>
          ) : (
            <table className="w-full text-sm" data-testid="target-history">
              <thead className="text-xs text-zinc-500">
                <tr>
                  <th className="text-left font-medium">From</th>
                  <th className="text-right font-medium">Budget / month</th>
                  <th className="text-right font-medium">Daily</th>
                  <th className="text-right font-medium">CPA</th>
                  <th className="text-right font-medium">ROAS</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-800">
                {d.targets.map((t) => (
                  <tr key={t.id} className="text-zinc-300">
                    <td className="py-1.5">
                      {t.effectiveFrom} <span className="text-xs text-zinc-500">{t.currency}</span>
                    </td>
                    <td className="text-right tabular-nums">{t.monthlyBudget ? formatMoney(Number(t.monthlyBudget), t.currency) : "—"}</td>
                    <td className="text-right tabular-nums">{t.dailyBudget ? formatMoney(Number(t.dailyBudget), t.currency) : "—"}</td>
                    <td className="text-right tabular-nums">{t.targetCpa ? formatMoney(Number(t.targetCpa), t.currency) : "—"}</td>
                    <td className="text-right tabular-nums">{t.targetRoas ? Number(t.targetRoas).toFixed(2) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
      <section className="space-y-4">
        <h2 className="text-base font-semibold text-zinc-100">Alerts</h2>
        <AlertFilters filter={d.filter} rules={d.rules} />
        <AlertList alerts={d.alerts} showClient={false} />
      </section>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This client does not exist, or you do not have access to it." failed="Goals and alerts could not be loaded" />;
}
