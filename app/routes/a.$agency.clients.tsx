import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { requireAgencyRole } from "~/.server/auth";
import { listClientWorkspaces } from "~/.server/auth/shell";
import { expectedFailure } from "~/.server/errors";
import { echoValues, parseForm } from "~/.server/forms";
import { createClient } from "~/.server/tenancy/clients";
import { Alert, Badge, Button, Card, CardTitle, EmptyState, Field, FormErrorSummary, PageHeader } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Clients · Spendlane" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, agency, role } = await requireAgencyRole(request, params.agency, ["owner", "admin", "member"]);
  const clients = await listClientWorkspaces(user.id, agency.id);
  return { agency, canAdd: role === "owner" || role === "admin", clients };
}

const addClientSchema = z.object({
  name: z.string({ error: "Name is required" }),
  slug: z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), z.string().optional()),
});

export async function action({ request, params }: ActionFunctionArgs) {
  // Owners and admins add clients; the guard answers 403 to members, RLS would refuse them anyway.
  const { user, agency } = await requireAgencyRole(request, params.agency, ["owner", "admin"]);
  const form = await request.formData();
  const echo = echoValues(form, { name: 200, slug: 100 });
  try {
    const ws = await createClient(user.id, agency.id, parseForm(addClientSchema, form, "Check the client details"));
    return redirect(`/a/${agency.slug}/clients?added=${encodeURIComponent(ws.slug)}`);
  } catch (err) {
    const failure = expectedFailure(err);
    if (!failure) throw err;
    return data({ error: failure.error, fields: failure.fields, values: echo }, { status: failure.status });
  }
}

const dateFmt = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

export default function Clients() {
  const { agency, canAdd, clients } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const base = `/a/${agency.slug}`;
  const added = useSearchParams()[0].get("added");
  const addedClient = added ? clients.find((c) => c.slug === added) : undefined;
  return (
    <>
      <PageHeader title="Clients" description="Each client gets its own workspace with its Meta ad accounts and a read-only view you can share." />
      {addedClient ? (
        <Alert tone="success" className="mb-4">
          Added {addedClient.name}.{" "}
          <Link to={`${base}/w/${addedClient.slug}`} className="underline">
            Open its workspace
          </Link>{" "}
          to connect Meta ad accounts.
        </Alert>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="lg:col-span-2">
          {clients.length === 0 ? (
            <EmptyState title="No clients yet">
              {canAdd ? "Add your first client to connect its Meta ad accounts." : "An owner or admin can add clients."}
            </EmptyState>
          ) : (
            <Card flush>
              <ul className="divide-y divide-zinc-800" aria-label="Client workspaces">
                {clients.map((c) => (
                  <li key={c.id} data-client={c.slug}>
                    {/* the whole row opens the client's workspace */}
                    <Link
                      to={`${base}/w/${c.slug}`}
                      className="group flex items-center justify-between gap-3 px-5 py-3 hover:bg-zinc-800/40 focus-visible:bg-zinc-800/40"
                    >
                      <span className="min-w-0">
                        <span className="block truncate font-medium text-zinc-100 group-hover:text-blue-300">{c.name}</span>
                        <span className="block text-xs text-zinc-500">Added {dateFmt.format(new Date(c.createdAt))}</span>
                      </span>
                      <span className="flex shrink-0 items-center gap-2">
                        {c.archivedAt ? <Badge>Archived</Badge> : null}
                        <span aria-hidden className="text-zinc-500 group-hover:text-zinc-300">
                          →
                        </span>
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            </Card>
          )}
        </div>
        {canAdd ? (
          <Card>
            <CardTitle description="Creates a workspace for the client.">Add client</CardTitle>
            {/* keyed by the last added client so the fields clear after a successful add */}
            <Form key={added ?? "new"} method="post" className="space-y-4" noValidate>
              <FormErrorSummary error={result?.error} fields={result?.fields} visibleFields={["name", "slug"]} />
              <Field label="Client name" name="name" required maxLength={120} defaultValue={result?.values?.name} error={result?.fields?.name} />
              <Field
                label="URL name (optional)"
                name="slug"
                maxLength={48}
                defaultValue={result?.values?.slug}
                error={result?.fields?.slug}
                hint="Derived from the name when empty."
              />
              <Button type="submit" busy={busy} busyLabel="Adding…">
                Add client
              </Button>
            </Form>
          </Card>
        ) : (
          <Alert tone="info">Only owners and admins can add clients.</Alert>
        )}
      </div>
    </>
  );
}
