/**
 * The agency navigation. Each page's owner adds its entry here (one line), with the roles that may
 * see it; the layout in app/routes/a.$agency.tsx renders whatever this list holds, in order.
 * `path` is relative to /a/<agency>; "" is the overview.
 */
export type NavRole = "owner" | "admin" | "member" | "viewer";

export interface NavItem {
  label: string;
  path: string;
  roles: NavRole[];
  /** Match only the exact path (for the overview, which is a prefix of everything). */
  end?: boolean;
}

export const NAV_ITEMS: NavItem[] = [
  { label: "Overview", path: "", roles: ["owner", "admin", "member"], end: true },
  { label: "Clients", path: "clients", roles: ["owner", "admin", "member"] },
  { label: "Alerts", path: "alerts", roles: ["owner", "admin", "member"] },
  { label: "Team", path: "team", roles: ["owner", "admin", "member"] },
  { label: "Audit", path: "audit", roles: ["owner", "admin"] },
  { label: "Branding", path: "branding", roles: ["owner", "admin"] },
  { label: "Billing", path: "billing", roles: ["owner"] },
];

export function navItemsFor(role: NavRole): NavItem[] {
  return NAV_ITEMS.filter((i) => i.roles.includes(role));
}
