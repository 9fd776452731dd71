/**
 * The audit log as sentences: who did what to which client, account or person ("Dana Demo attached
 * the ad account Northwind Outdoor (act_123) to Acme Outdoor."), never a bare code such as
 * "meta.attach". Targets hold ids, emails, names and roles only (never secrets); ids are resolved to
 * names through `names` (clients and people of the agency), with what the entry itself recorded as
 * the fallback (a deleted client keeps the name it had).
 */
export interface AuditNames {
  /** workspace id -> client name */
  clients: Record<string, string>;
  /** user id -> display name (name, else email) */
  people: Record<string, string>;
}

export interface AuditLine {
  action: string;
  target: Record<string, unknown>;
  actorName: string | null;
  actorEmail: string | null;
}

const ROLE: Record<string, string> = { owner: "owner", admin: "admin", member: "member", viewer: "client viewer" };

export function auditSentence(e: AuditLine, names: AuditNames): string {
  const t = e.target ?? {};
  const s = (k: string) => (t[k] == null ? "" : String(t[k]));
  const actor = e.actorName ?? e.actorEmail ?? (e.action.startsWith("billing.") || e.action === "meta.needs_reauth" ? "Spendlane" : "Someone");
  const client = () => {
    const id = s("workspaceId");
    const n = (id && names.clients[id]) || s("name");
    return n ? n : "a client that no longer exists";
  };
  const person = (idKey: string, emailKey = "email") => {
    const id = s(idKey);
    return (id && names.people[id]) || s(emailKey) || "a former member";
  };
  const account = () => {
    const name = s("name");
    const id = s("metaAccountId");
    return name && id ? `the ad account ${name} (${id})` : name ? `the ad account ${name}` : id ? `the ad account ${id}` : "an ad account";
  };
  const role = (k: string) => ROLE[s(k)] ?? s(k);
  const connection = () => (s("kind") === "system_user" ? "a system-user token" : "a Facebook login");
  const body = ((): string => {
    switch (e.action) {
      case "invitation.create":
        return t.workspaceId ? `invited ${s("email")} to view ${client()}` : `invited ${s("email")} to the agency as ${role("role")}`;
      case "invitation.resend":
        return `sent the invitation to ${s("email")} again`;
      case "invitation.revoke":
        return `revoked the invitation to ${s("email")}`;
      case "invitation.accept":
        return t.workspaceId ? `accepted the invitation to view ${client()}` : `joined the agency as ${role("role")}`;
      case "member.role_change":
        return `changed the role of ${person("userId")} from ${role("from")} to ${role("to")}`;
      case "member.remove":
        return `removed ${person("userId")} (${role("role")}) from the agency`;
      case "member.transfer_ownership":
        return `transferred ownership of the agency to ${person("toUserId")}`;
      case "viewer.revoke":
        return `removed the access of ${person("userId")} to ${client()}`;
      case "client.create":
        return `added the client ${client()}`;
      case "client.rename":
        return `renamed the client ${s("from")} to ${s("to")}`;
      case "client.archive":
        return `archived the client ${client()}`;
      case "client.restore":
        return `restored the client ${client()}`;
      case "client.delete":
        return `deleted the client ${s("name") || client()} and its data`;
      case "workspace.attribution":
        return `changed the attribution window of ${client()} from ${s("from").replace(/_/g, " ")} to ${s("to").replace(/_/g, " ")}`;
      case "meta.connect":
        return `connected Meta to ${client()} with ${connection()}`;
      case "meta.reauth":
        return `re-authorised the Meta connection of ${client()} with ${connection()}`;
      case "meta.needs_reauth":
        return `found that the Meta connection of ${client()} needs to be authorised again`;
      case "meta.attach":
        return `${t.reattached ? "attached again" : "attached"} ${account()} to ${client()}`;
      case "meta.detach":
        return `detached ${account()} from ${client()}`;
      case "meta.disconnect":
        return `disconnected Meta from ${client()}${t.deleteData ? " and deleted its Meta data" : ""}`;
      case "agency.exported":
        return "exported the agency's data";
      case "billing.plan_set_by_operator":
        return `set the plan from ${s("from")} to ${s("to")}`;
      case "billing.checkout_started":
        return `started checkout for the ${s("plan")} plan`;
      case "billing.plan_change_started":
        return `started a change to the ${s("plan")} plan`;
      case "billing.checkout_completed":
        return `recorded the subscription to the ${s("plan")} plan`;
      case "billing.subscription_changed":
        return `recorded a subscription change (${s("status") || "updated"}${s("plan") ? `, ${s("plan")} plan` : ""})`;
      case "billing.invoice_paid":
        return "recorded a paid invoice";
      case "billing.payment_failed":
        return "recorded a failed payment";
      default:
        return `did ${e.action.replace(/[._]/g, " ")}`;
    }
  })();
  return `${actor} ${body}.`;
}

/** The ids an entry names, so the page can resolve them to names in one query each. */
export function auditIds(entries: AuditLine[]): { clients: string[]; people: string[] } {
  const clients = new Set<string>();
  const people = new Set<string>();
  for (const e of entries) {
    const t = e.target ?? {};
    if (typeof t.workspaceId === "string") clients.add(t.workspaceId);
    for (const k of ["userId", "toUserId"]) if (typeof t[k] === "string") people.add(t[k] as string);
  }
  return { clients: [...clients], people: [...people] };
}
