import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { authenticateFacebook } from "~/.server/auth/authenticator";
import { FacebookLoginError } from "~/.server/auth/facebook";

// POST starts the flow: the strategy answers with a redirect to Facebook's dialog (state + PKCE
// kept in a short-lived cookie). A GET link would let other sites start logins for our users.
export async function action({ request }: ActionFunctionArgs) {
  try {
    await authenticateFacebook(request);
  } catch (err) {
    if (err instanceof Response) return err;
    if (err instanceof FacebookLoginError) return redirect(`/login?fb=${err.reason}`);
    throw err;
  }
  return redirect("/login?fb=failed");
}

export const loader = () => redirect("/login");
