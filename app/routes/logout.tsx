import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { destroyUserSession } from "~/.server/auth";

// Logging out is a POST (a form button): a GET could be triggered by any page embedding an image.
export async function action({ request }: ActionFunctionArgs) {
  return redirect("/login", { headers: { "Set-Cookie": await destroyUserSession(request) } });
}

export const loader = () => redirect("/");
