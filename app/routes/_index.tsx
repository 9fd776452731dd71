import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getUser } from "~/.server/auth";

// The start page: signed-in users land on their agency, everyone else on the login page.
export async function loader({ request }: LoaderFunctionArgs) {
  return redirect((await getUser(request)) ? "/a" : "/login");
}
