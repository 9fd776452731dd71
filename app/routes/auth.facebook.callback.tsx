import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { createUserSession } from "~/.server/auth";
import { commitPendingFacebook, findFacebookUser } from "~/.server/auth/accounts";
import { authenticateFacebook } from "~/.server/auth/authenticator";
import { FacebookLoginError } from "~/.server/auth/facebook";

// Facebook sends the browser back here with ?code&state (or ?error). A known Facebook user is
// logged in; a new one finishes sign-up on /signup (email and agency name), see ADR 0002.
export async function loader({ request }: LoaderFunctionArgs) {
  let identity;
  try {
    identity = await authenticateFacebook(request);
  } catch (err) {
    if (err instanceof FacebookLoginError) throw redirect(`/login?fb=${err.reason}`);
    throw err;
  }
  const userId = await findFacebookUser(identity.facebookUserId);
  if (userId) return redirect("/a", { headers: { "Set-Cookie": await createUserSession(request, userId) } });
  return redirect("/signup?via=facebook", { headers: { "Set-Cookie": await commitPendingFacebook(identity) } });
}
