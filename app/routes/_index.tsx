import { redirect } from "@remix-run/node";

// The start page: signed-in users land on their agency, everyone else on the login page.
export const loader = () => redirect("/login");
