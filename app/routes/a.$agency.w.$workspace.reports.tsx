import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { notFound, requireWorkspace } from "~/.server/auth";
import { reportsAction, reportsPage } from "~/.server/reports/page";
import { expectedFailure } from "~/.server/errors";
import { Alert, Badge, Button, Card, CardTitle, Field, PageHeader, Select } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Reports · Spendlane" }];

/** Agency staff (owner, admin, member) manage client reports; client viewers get the 404 of outsiders. */
async function requireStaff(request: Request, params: LoaderFunctionArgs["params"]) {
  const access = await requireWorkspace(request, params.agency, params.workspace);
  if (access.role === "viewer") notFound();
  return access;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, workspace } = await requireStaff(request, params);
  return { agency: { slug: agency.slug }, workspace, me: user.email, ...(await reportsPage(user.id, agency.id, workspace.id)) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency, workspace } = await requireStaff(request, params);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  try {
    const ok = await reportsAction(user, agency.id, workspace.id, form);
    return data({ ok, intent, error: null as string | null, fields: {} as Record<string, string>, limit: undefined as string | undefined });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, intent, ...failure }, { status: failure.status });
  }
}

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
const statusTone = { sent: "green", failed: "red", retrying: "amber", pending: "neutral" } as const;

export default function Reports() {
  const { agency, workspace, me, timezone, templates, schedules, viewers, log, sectionKinds, presets } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [frequency, setFrequency] = useState<"weekly" | "monthly">("monthly");
  const f = (name: string) => (result?.fields as Record<string, string> | undefined)?.[name];
  const templateName = new Map(templates.map((t) => [t.id, t.name]));
  return (
    <>
      <PageHeader
        title={`${workspace.name}: reports`}
        description={`Scheduled client reports: an email with the headline figures, the PDF attached and a link to the web report. Schedules run in the agency's time zone (${timezone}); change it under Branding.`}
      />
      {result?.ok ? (
        <Alert tone="success" className="mb-4">
          {result.ok}
        </Alert>
      ) : null}
      {result?.error ? (
        <Alert tone="error" className="mb-4" title={result.error}>
          {Object.values(result.fields ?? {}).join(" ")}
          {result.limit ? (
            <>
              {" "}
              <Link to={`/a/${agency.slug}/billing`} className="underline">
                Upgrade on the Billing page
              </Link>
            </>
          ) : null}
        </Alert>
      ) : null}

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card>
          <CardTitle description="What a report shows, in which order, for which period.">Templates</CardTitle>
          {templates.length === 0 ? (
            <Form method="post" className="mb-4">
              <input type="hidden" name="intent" value="create-standard-template" />
              <Button type="submit" disabled={busy}>
                Create the standard template
              </Button>
              <p className="mt-2 text-xs text-zinc-500">Every section, last month compared with the month before. You can change it afterwards.</p>
            </Form>
          ) : null}
          <div className="space-y-3">
            {[...templates, null].map((t) => (
              <details key={t?.id ?? "new"} className="rounded-lg border border-zinc-800 p-3" open={!t && templates.length > 0 ? false : undefined}>
                <summary className="cursor-pointer text-sm font-medium text-zinc-100">{t ? t.name : "New template"}</summary>
                <Form method="post" className="mt-3 space-y-3" noValidate>
                  <input type="hidden" name="intent" value="save-template" />
                  {t ? <input type="hidden" name="templateId" value={t.id} /> : null}
                  <Field label="Name" name="name" defaultValue={t?.name ?? ""} maxLength={120} required />
                  <fieldset>
                    <legend className="mb-1 text-sm font-medium text-zinc-300">Sections (tick, then number the order)</legend>
                    {sectionKinds.map((s) => {
                      const pos = t ? t.sections.indexOf(s.kind) : -1;
                      return (
                        <div key={s.kind} className="flex items-center gap-2 py-0.5 text-sm">
                          <input type="checkbox" name={`section_${s.kind}`} id={`${t?.id ?? "new"}-${s.kind}`} defaultChecked={t ? pos >= 0 : true} />
                          <label htmlFor={`${t?.id ?? "new"}-${s.kind}`} className="flex-1 text-zinc-300">
                            {s.label}
                          </label>
                          <input
                            type="number"
                            name={`order_${s.kind}`}
                            aria-label={`Position of ${s.label}`}
                            min={1}
                            max={20}
                            defaultValue={pos >= 0 ? pos + 1 : sectionKinds.indexOf(s) + 1}
                            className="w-14 rounded border border-zinc-700 bg-zinc-900 px-1 text-zinc-100"
                          />
                        </div>
                      );
                    })}
                  </fieldset>
                  <div className="grid grid-cols-2 gap-3">
                    <label className="text-sm text-zinc-300">
                      Period
                      <Select name="rangePreset" defaultValue={t?.rangePreset ?? "last_month"} className="mt-1">
                        {presets.map((p) => (
                          <option key={p.value} value={p.value}>
                            {p.label}
                          </option>
                        ))}
                      </Select>
                    </label>
                    <label className="text-sm text-zinc-300">
                      Compare with
                      <Select name="compare" defaultValue={t?.compare ?? "previous"} className="mt-1">
                        <option value="previous">Previous period</option>
                        <option value="year">Same period last year</option>
                        <option value="none">No comparison</option>
                      </Select>
                    </label>
                  </div>
                  <label className="block text-sm text-zinc-300">
                    Commentary for the next report
                    <textarea
                      name="commentary"
                      defaultValue={t?.commentary ?? ""}
                      maxLength={5000}
                      rows={4}
                      className="mt-1 block w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-2 text-sm text-zinc-100"
                    />
                  </label>
                  <Button type="submit" size="sm" disabled={busy}>
                    {t ? "Save template" : "Create template"}
                  </Button>
                </Form>
              </details>
            ))}
          </div>
        </Card>

        <Card>
          <CardTitle description="Who gets which template, when. Each period is delivered once per recipient.">Schedules</CardTitle>
          {schedules.length === 0 ? <p className="mb-3 text-sm text-zinc-500">No schedules yet.</p> : null}
          <ul className="mb-4 divide-y divide-zinc-800" aria-label="Schedules">
            {schedules.map((s) => (
              <li key={s.id} className="py-3" data-testid="schedule">
                <div className="flex flex-wrap items-center gap-2">
                  <p className="font-medium text-zinc-100">{s.name}</p>
                  {!s.enabled ? <Badge>Paused</Badge> : null}
                  <span className="text-xs text-zinc-500">{templateName.get(s.templateId)}</span>
                </div>
                <p className="text-xs text-zinc-400">
                  {s.frequency === "weekly" ? `Every ${WEEKDAYS[(s.weekday ?? 1) - 1]}` : `Monthly on day ${s.dayOfMonth}`} at {String(s.hour).padStart(2, "0")}
                  :00 ({timezone}){s.nextRunAt ? ` · next ${dateTime.format(new Date(s.nextRunAt))} UTC` : ""}
                </p>
                <p className="text-xs text-zinc-500">
                  To: {[...viewers.filter((v) => s.viewerIds.includes(v.userId)).map((v) => v.email), ...s.externalEmails].join(", ")}
                </p>
                <div className="mt-2 flex flex-wrap gap-2">
                  {(["send-test", "send-now", "delete-schedule"] as const).map((intent) => (
                    <Form method="post" key={intent}>
                      <input type="hidden" name="intent" value={intent} />
                      <input type="hidden" name="scheduleId" value={s.id} />
                      <Button
                        type="submit"
                        size="sm"
                        variant={intent === "send-test" ? "secondary" : intent === "delete-schedule" ? "ghost" : "primary"}
                        disabled={busy}
                      >
                        {intent === "send-test" ? `Send a test to me` : intent === "send-now" ? "Send now" : "Delete"}
                      </Button>
                    </Form>
                  ))}
                </div>
              </li>
            ))}
          </ul>
          {templates.length ? (
            <Form method="post" className="space-y-3 border-t border-zinc-800 pt-4" noValidate aria-label="New schedule">
              <input type="hidden" name="intent" value="save-schedule" />
              <h3 className="text-sm font-semibold text-zinc-100">New schedule</h3>
              <Field label="Name" name="name" defaultValue="Monthly report" maxLength={120} error={f("name")} />
              <label className="block text-sm text-zinc-300">
                Template
                <Select name="templateId" className="mt-1">
                  {templates.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name}
                    </option>
                  ))}
                </Select>
              </label>
              <div className="grid grid-cols-3 gap-3">
                <label className="text-sm text-zinc-300">
                  Frequency
                  <Select name="frequency" value={frequency} onChange={(e) => setFrequency(e.target.value as "weekly" | "monthly")} className="mt-1">
                    <option value="monthly">Monthly</option>
                    <option value="weekly">Weekly</option>
                  </Select>
                </label>
                {frequency === "weekly" ? (
                  <label className="text-sm text-zinc-300">
                    Weekday
                    <Select name="weekday" defaultValue="1" className="mt-1">
                      {WEEKDAYS.map((d, i) => (
                        <option key={d} value={i + 1}>
                          {d}
                        </option>
                      ))}
                    </Select>
                  </label>
                ) : (
                  <label className="text-sm text-zinc-300">
                    Day of month
                    <Select name="dayOfMonth" defaultValue="1" className="mt-1">
                      {Array.from({ length: 28 }, (_, i) => (
                        <option key={i} value={i + 1}>
                          {i + 1}
                        </option>
                      ))}
                    </Select>
                  </label>
                )}
                <label className="text-sm text-zinc-300">
                  Hour
                  <Select name="hour" defaultValue="8" className="mt-1">
                    {Array.from({ length: 24 }, (_, i) => (
                      <option key={i} value={i}>
                        {String(i).padStart(2, "0")}:00
                      </option>
                    ))}
                  </Select>
                </label>
              </div>
              <fieldset>
                <legend className="mb-1 text-sm font-medium text-zinc-300">Client viewers</legend>
                {viewers.length === 0 ? <p className="text-xs text-zinc-500">This client has no viewers yet (invite them under Settings).</p> : null}
                {viewers.map((v) => (
                  <label key={v.userId} className="flex items-center gap-2 text-sm text-zinc-300">
                    <input type="checkbox" name="viewerIds" value={v.userId} /> {v.name ? `${v.name} (${v.email})` : v.email}
                  </label>
                ))}
                {f("viewerIds") ? <p className="text-xs text-red-400">{f("viewerIds")}</p> : null}
              </fieldset>
              <label className="block text-sm text-zinc-300">
                Other recipients (email addresses, one per line)
                <textarea
                  name="externalEmails"
                  rows={2}
                  className="mt-1 block w-full rounded-lg border border-zinc-700 bg-zinc-900 px-3 py-2 text-sm text-zinc-100"
                />
              </label>
              {f("recipients") ? <p className="text-xs text-red-400">{f("recipients")}</p> : null}
              <Button type="submit" disabled={busy}>
                Create schedule
              </Button>
              <p className="text-xs text-zinc-500">Tests go to you ({me}).</p>
            </Form>
          ) : null}
        </Card>
      </div>

      <Card className="mt-6" flush>
        <div className="p-5 pb-0">
          <CardTitle description="Every email, its recipient and outcome. Failed sends are retried after 1, 5 and 25 minutes, then marked failed.">
            Delivery log
          </CardTitle>
        </div>
        {log.length === 0 ? (
          <p className="px-5 pb-5 text-sm text-zinc-500">Nothing sent yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[720px] text-sm" aria-label="Delivery log">
              <thead>
                <tr className="border-b border-zinc-800 text-left text-xs text-zinc-500">
                  <th className="px-5 py-2 font-medium">Period</th>
                  <th className="py-2 font-medium">Schedule</th>
                  <th className="py-2 font-medium">Recipient</th>
                  <th className="py-2 font-medium">Kind</th>
                  <th className="py-2 font-medium">Status</th>
                  <th className="py-2 font-medium">Web report</th>
                </tr>
              </thead>
              <tbody>
                {log.map((d) => (
                  <tr key={d.id} className="border-b border-zinc-900 align-top" data-testid="delivery">
                    <td className="px-5 py-2 text-zinc-300">
                      {d.since} – {d.until}
                    </td>
                    <td className="py-2 text-zinc-300">{d.scheduleName}</td>
                    <td className="py-2 text-zinc-300">{d.recipient}</td>
                    <td className="py-2 text-zinc-400">{d.kind}</td>
                    <td className="py-2">
                      <Badge tone={statusTone[d.status as keyof typeof statusTone] ?? "neutral"}>{d.status}</Badge>
                      <span className="ml-2 text-xs text-zinc-500">
                        {d.sentAt ? dateTime.format(new Date(d.sentAt)) : `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`}
                      </span>
                      {d.lastError ? <p className="text-xs text-red-400">{d.lastError}</p> : null}
                    </td>
                    <td className="py-2 pr-5">
                      {d.shareUrl ? (
                        <div className="flex items-center gap-2">
                          <a href={d.shareUrl} target="_blank" rel="noreferrer noopener" className="text-blue-400 hover:underline">
                            Open
                          </a>
                          <Form method="post">
                            <input type="hidden" name="intent" value="revoke-link" />
                            <input type="hidden" name="linkId" value={d.shareLinkId ?? ""} />
                            <Button type="submit" size="sm" variant="ghost" disabled={busy}>
                              Revoke link
                            </Button>
                          </Form>
                        </div>
                      ) : (
                        <span className="text-xs text-zinc-500">{d.linkRevoked ? "revoked" : "expired"}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
}
