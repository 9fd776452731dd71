import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireAgencyRole } from "~/.server/auth";
import { RULES, RULE_LABELS, DEFAULT_DELIVERY, BUDGET_RULES } from "~/.server/alerts/rules";
import { getAgencySettings, getPreferences, saveAgencySettings, savePreferences, visibleClients } from "~/.server/alerts/service";
import { expectedFailure } from "~/.server/errors";
import { Alert, Button, Card, CardTitle, Field, PageHeader, RouteErrorAlert } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Alert settings · Spendlane" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgencyRole(request, params.agency, ["owner", "admin", "member"]);
  const [prefs, clients, agencySettings] = await Promise.all([
    getPreferences(user.id, agency.id),
    visibleClients(user.id, agency.id),
    getAgencySettings(user.id, agency.id),
  ]);
  return {
    agency,
    prefs,
    clients,
    agencySettings,
    canManage: role === "owner" || role === "admin",
    rules: RULES.map((r) => ({ value: r, label: RULE_LABELS[r], default: DEFAULT_DELIVERY[r], budget: BUDGET_RULES.includes(r) })),
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency, role } = await requireAgencyRole(request, params.agency, ["owner", "admin", "member"]);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  try {
    if (intent === "agency") {
      if (role !== "owner" && role !== "admin") throw new Response("Forbidden", { status: 403 });
      await saveAgencySettings(user.id, agency.id, {
        viewersGetBudgetAlerts: form.get("viewersGetBudgetAlerts") === "on",
        pacingAlertPct: form.get("pacingAlertPct"),
        targetWindowDays: form.get("targetWindowDays"),
      });
      return { ok: "Agency alert settings saved.", intent, fields: {} as Record<string, string> };
    }
    const clients = await visibleClients(user.id, agency.id);
    await savePreferences(
      user.id,
      agency.id,
      {
        scope: form.get("scope"),
        digestHour: form.get("digestHour"),
        digestTimezone: form.get("digestTimezone"),
        rules: Object.fromEntries(RULES.map((r) => [r, String(form.get(`rule.${r}`) ?? DEFAULT_DELIVERY[r])])),
        follows: form.getAll("follow").map(String),
      },
      clients.map((c) => c.id),
    );
    return { ok: "Your alert emails are set.", intent: "mine", fields: {} as Record<string, string> };
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, intent, error: failure.error, fields: failure.fields }, { status: failure.status });
  }
}

export default function AlertSettings() {
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const fields = (result && "fields" in result ? result.fields : {}) as Record<string, string>;
  const select = "rounded-lg border border-zinc-700 bg-zinc-900 px-2 py-1.5 text-sm text-zinc-100";
  return (
    <div className="space-y-6">
      <PageHeader title="Alert settings" description="Which alerts reach you by email, and when. In-app alerts always show on the Alerts page." />
      {result?.ok ? <Alert tone="success">{result.ok}</Alert> : null}
      {result && "error" in result && result.error ? (
        <Alert tone="error" title={result.error}>
          {Object.values(fields).join(" ")}
        </Alert>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card>
          <CardTitle description="Immediately: one email per alert when it opens. Digest: one email a day at your hour.">Your emails</CardTitle>
          <Form method="post" className="space-y-4">
            <input type="hidden" name="intent" value="mine" />
            <fieldset className="space-y-2">
              <legend className="text-sm font-medium text-zinc-300">Clients</legend>
              <label className="flex items-center gap-2 text-sm text-zinc-300">
                <input type="radio" name="scope" value="all" defaultChecked={d.prefs.scope === "all"} /> All clients of the agency
              </label>
              <label className="flex items-center gap-2 text-sm text-zinc-300">
                <input type="radio" name="scope" value="followed" defaultChecked={d.prefs.scope === "followed"} /> Only clients I follow
              </label>
              <div className="ml-6 grid max-h-48 gap-1 overflow-y-auto sm:grid-cols-2">
                {d.clients.map((c) => (
                  <label key={c.id} className="flex items-center gap-2 text-sm text-zinc-400">
                    <input type="checkbox" name="follow" value={c.id} defaultChecked={d.prefs.follows.includes(c.id)} /> {c.name}
                  </label>
                ))}
              </div>
            </fieldset>
            <div className="grid grid-cols-2 gap-3">
              <Field label="Digest hour (0-23)" name="digestHour" type="number" min={0} max={23} defaultValue={d.prefs.digestHour} error={fields.digestHour} />
              <Field label="Time zone" name="digestTimezone" defaultValue={d.prefs.digestTimezone} error={fields.digestTimezone} hint="e.g. Europe/Berlin" />
            </div>
            <table className="w-full text-sm">
              <tbody className="divide-y divide-zinc-800">
                {d.rules.map((r) => (
                  <tr key={r.value}>
                    <th scope="row" className="py-1.5 pr-2 text-left font-normal text-zinc-300">
                      {r.label}
                    </th>
                    <td className="py-1.5 text-right">
                      <select
                        name={`rule.${r.value}`}
                        defaultValue={d.prefs.rules[r.value as keyof typeof d.prefs.rules] ?? r.default}
                        className={select}
                        aria-label={`Email for ${r.label}`}
                      >
                        <option value="immediate">Immediately</option>
                        <option value="digest">Daily digest</option>
                        <option value="off">Off</option>
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Button type="submit" disabled={busy}>
              Save my emails
            </Button>
          </Form>
        </Card>
        {d.canManage ? (
          <Card>
            <CardTitle description="For everyone in the agency.">Agency alert settings</CardTitle>
            <Form method="post" className="space-y-4">
              <input type="hidden" name="intent" value="agency" />
              <label className="flex items-start gap-2 text-sm text-zinc-300">
                <input type="checkbox" name="viewersGetBudgetAlerts" defaultChecked={d.agencySettings.viewersGetBudgetAlerts} className="mt-1" />
                <span>
                  Client viewers get budget alerts (projected over- or underspend) of their own client, in the app and by email. They never get other alerts.
                </span>
              </label>
              <Field
                label="Budget alert threshold (%)"
                name="pacingAlertPct"
                type="number"
                min={1}
                max={100}
                step="0.5"
                defaultValue={d.agencySettings.pacingAlertPct}
                error={fields.pacingAlertPct}
                hint="Projected month-end spend further than this from the budget raises an alert."
              />
              <Field
                label="CPA / ROAS window (days)"
                name="targetWindowDays"
                type="number"
                min={1}
                max={28}
                defaultValue={d.agencySettings.targetWindowDays}
                error={fields.targetWindowDays}
                hint="Complete days the CPA and ROAS targets are judged over."
              />
              <Button type="submit" disabled={busy}>
                Save agency settings
              </Button>
            </Form>
          </Card>
        ) : null}
      </div>
    </div>
  );
}

export function ErrorBoundary() {
  return <RouteErrorAlert notFound="This agency does not exist, or you do not have access to it." failed="The alert settings could not be loaded" />;
}
