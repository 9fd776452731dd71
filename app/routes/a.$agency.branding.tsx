import {
  data,
  unstable_createMemoryUploadHandler,
  unstable_parseMultipartFormData,
  MaxPartSizeExceededError,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { requireAgencyRole } from "~/.server/auth";
import { expectedFailure, InputError } from "~/.server/errors";
import { MAX_LOGO_BYTES, readBranding, saveBranding } from "~/.server/reports/branding";
import { Alert, Button, Card, CardTitle, Field, PageHeader, Select } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Branding · Spendlane" }];

// White label of client reports (emails, PDFs, share pages): owners and admins.
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const b = await readBranding(user.id, agency.id);
  return {
    agency: { slug: agency.slug, name: agency.name },
    branding: {
      displayName: b.displayName === b.agencyName ? "" : b.displayName,
      brandColor: b.brandColor,
      replyTo: b.replyTo ?? "",
      timezone: b.timezone,
      pageSize: b.pageSize,
      hidePoweredBy: b.hidePoweredBy,
      planAllowsWhiteLabel: b.planAllowsWhiteLabel,
      logo: b.logo ? `data:${b.logo.type};base64,${b.logo.bytes.toString("base64")}` : null,
    },
    timezones: Intl.supportedValuesOf("timeZone"),
    maxLogoKb: MAX_LOGO_BYTES / 1024,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  try {
    let form: FormData;
    try {
      // the upload is held in memory with a hard cap: a bigger file stops the parse
      const multipart = request.headers.get("content-type")?.toLowerCase().startsWith("multipart/form-data");
      form = multipart
        ? await unstable_parseMultipartFormData(request, unstable_createMemoryUploadHandler({ maxPartSize: MAX_LOGO_BYTES }))
        : await request.formData();
    } catch (err) {
      if (err instanceof MaxPartSizeExceededError) throw new InputError("The logo is too large", { logo: `At most ${MAX_LOGO_BYTES / 1024} KB` });
      throw err;
    }
    const file = form.get("logo");
    const remove = form.get("removeLogo") === "on";
    const logo = remove ? null : file instanceof File && file.size > 0 ? new Uint8Array(await file.arrayBuffer()) : undefined;
    await saveBranding(
      user.id,
      agency.id,
      {
        displayName: String(form.get("displayName") ?? ""),
        brandColor: String(form.get("brandColor") ?? ""),
        replyTo: String(form.get("replyTo") ?? ""),
        timezone: String(form.get("timezone") ?? ""),
        pageSize: String(form.get("pageSize") ?? "") as "A4",
        hidePoweredBy: form.get("hidePoweredBy") === "on",
      },
      logo,
    );
    return data({
      ok: "Branding saved. New reports use it.",
      error: null as string | null,
      fields: {} as Record<string, string>,
      limit: undefined as string | undefined,
    });
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ ok: null, ...failure }, { status: failure.status });
  }
}

export default function Branding() {
  const { agency, branding, timezones, maxLogoKb } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const f = (k: string) => (result?.fields as Record<string, string> | undefined)?.[k];
  return (
    <>
      <PageHeader title="Branding" description="Your name, logo and colour on client reports: the emails, the PDFs and the web report behind each link." />
      {result?.ok ? (
        <Alert tone="success" className="mb-4">
          {result.ok}
        </Alert>
      ) : null}
      {result?.error ? (
        <Alert tone="error" className="mb-4" title={result.error}>
          {result.limit ? (
            <Link to={`/a/${agency.slug}/billing`} className="underline">
              Upgrade on the Billing page
            </Link>
          ) : null}
        </Alert>
      ) : null}
      <Card className="max-w-2xl">
        <CardTitle>White label</CardTitle>
        <Form method="post" encType="multipart/form-data" className="space-y-4" noValidate>
          <Field
            label="Display name"
            name="displayName"
            defaultValue={branding.displayName}
            placeholder={agency.name}
            maxLength={120}
            error={f("displayName")}
            hint="Shown as the sender and on every report. Empty: the agency's name."
          />
          <div className="flex items-end gap-3">
            <Field
              label="Brand colour"
              name="brandColor"
              defaultValue={branding.brandColor}
              pattern="#[0-9a-fA-F]{6}"
              error={f("brandColor")}
              hint="Hex, e.g. #2563eb"
            />
            <span className="mb-6 inline-block h-9 w-9 rounded-lg border border-zinc-700" style={{ background: branding.brandColor }} aria-hidden />
          </div>
          <Field
            label="Reply-to address"
            name="replyTo"
            type="email"
            defaultValue={branding.replyTo}
            error={f("replyTo")}
            hint="Where a client's reply to a report goes."
          />
          <div className="space-y-1.5">
            <label htmlFor="logo" className="block text-sm font-medium text-zinc-300">
              Logo
            </label>
            {branding.logo ? <img src={branding.logo} alt="Current logo" className="h-10 rounded bg-white p-1" data-testid="current-logo" /> : null}
            <input id="logo" name="logo" type="file" accept="image/png,image/jpeg" className="block text-sm text-zinc-300" aria-describedby="logo-hint" />
            <p id="logo-hint" className="text-xs text-zinc-500">
              PNG or JPEG, at most {maxLogoKb} KB.
            </p>
            {f("logo") ? <p className="text-xs text-red-400">{f("logo")}</p> : null}
            {branding.logo ? (
              <label className="flex items-center gap-2 text-sm text-zinc-300">
                <input type="checkbox" name="removeLogo" /> Remove the logo
              </label>
            ) : null}
          </div>
          <div className="grid grid-cols-2 gap-3">
            <label className="text-sm text-zinc-300">
              Time zone of schedules
              <Select name="timezone" defaultValue={branding.timezone} className="mt-1">
                {["UTC", ...timezones.filter((t) => t !== "UTC")].map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </Select>
            </label>
            <label className="text-sm text-zinc-300">
              PDF paper
              <Select name="pageSize" defaultValue={branding.pageSize} className="mt-1">
                <option value="A4">A4</option>
                <option value="LETTER">Letter</option>
              </Select>
            </label>
          </div>
          <label className="flex items-center gap-2 text-sm text-zinc-300">
            <input
              type="checkbox"
              name="hidePoweredBy"
              defaultChecked={branding.hidePoweredBy}
              disabled={!branding.planAllowsWhiteLabel && !branding.hidePoweredBy}
            />
            Remove “Powered by Spendlane”{branding.planAllowsWhiteLabel ? "" : " (Growth and Scale plans)"}
          </label>
          <Button type="submit" busy={busy} busyLabel="Saving…">
            Save branding
          </Button>
        </Form>
      </Card>
    </>
  );
}
