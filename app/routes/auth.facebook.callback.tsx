import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { createUserSession, getUser } from "~/.server/auth";
import { commitPendingFacebook, findFacebookUser } from "~/.server/auth/accounts";
import { authenticateFacebook } from "~/.server/auth/authenticator";
import { FacebookLoginError } from "~/.server/auth/facebook";
import { linkFacebook } from "~/.server/auth/identities";
import { InputError } from "~/.server/errors";

// Facebook sends the browser back here with ?code&state (or ?error). A known Facebook user is
// logged in. An unknown one is linked to the account that is signed in in this browser (the only
// way a Facebook login joins an existing account, ADR 0063), or else finishes sign-up on /signup
// (email and agency name), see ADR 0002.
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
  const signedIn = await getUser(request);
  if (signedIn) {
    try {
      await linkFacebook(signedIn.id, identity);
    } catch (err) {
      if (err instanceof InputError) return redirect(`/account?fb=${/another Spendlane/.test(err.message) ? "taken" : "other"}`);
      throw err;
    }
    return redirect("/account?fb=linked");
  }
  return redirect("/signup?via=facebook", { headers: { "Set-Cookie": await commitPendingFacebook(identity) } });
}
