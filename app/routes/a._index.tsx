import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { requireUser } from "~/.server/auth";
import { homePathFor } from "~/.server/auth/shell";
import { AuthShell, Button } from "~/components/ui";

export const meta: MetaFunction = () => [{ title: "Spendlane" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const home = await homePathFor(user.id);
  if (home) throw redirect(home);
  // Signed in, but every membership and viewer access was removed.
  return { email: user.email };
}

export default function NoAccess() {
  const { email } = useLoaderData<typeof loader>();
  return (
    <AuthShell title="No agency yet" subtitle={`You are signed in as ${email}, but you do not belong to any agency or client workspace.`}>
      <p className="text-sm text-zinc-400">Ask an agency owner or admin to invite you, then open the link in the invitation email.</p>
      <Form method="post" action="/logout" className="mt-6">
        <Button type="submit" variant="secondary" className="w-full">
          Log out
        </Button>
      </Form>
    </AuthShell>
  );
}
