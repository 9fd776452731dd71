import { describe, expect, it } from "vitest";
import { auditIds, auditSentence } from "../../app/utils/audit-sentences";

const names = { clients: { w1: "Acme Outdoor" }, people: { u2: "Sam Member" } };
const line = (action: string, target: Record<string, unknown>, actorName: string | null = "Dana Demo") => ({
  action,
  target,
  actorName,
  actorEmail: "dana@x.test",
});

describe("audit log sentences", () => {
  it("names the person, the client and the ad account", () => {
    expect(auditSentence(line("meta.attach", { workspaceId: "w1", name: "Northwind Outdoor US", metaAccountId: "act_42", connectionId: "c" }), names)).toBe(
      "Dana Demo attached the ad account Northwind Outdoor US (act_42) to Acme Outdoor.",
    );
    expect(auditSentence(line("meta.disconnect", { workspaceId: "w1", deleteData: true }), names)).toBe(
      "Dana Demo disconnected Meta from Acme Outdoor and deleted its Meta data.",
    );
    expect(auditSentence(line("member.role_change", { userId: "u2", from: "member", to: "admin" }), names)).toBe(
      "Dana Demo changed the role of Sam Member from member to admin.",
    );
    expect(auditSentence(line("invitation.create", { email: "c@x.test", role: "viewer", workspaceId: "w1" }), names)).toBe(
      "Dana Demo invited c@x.test to view Acme Outdoor.",
    );
    expect(auditSentence(line("client.archive", { workspaceId: "w1", name: "Old name" }), names)).toBe("Dana Demo archived the client Acme Outdoor.");
  });

  it("falls back to what the entry recorded, and to the email when there is no name", () => {
    expect(auditSentence(line("client.delete", { workspaceId: "gone", name: "Blue Harbor" }), names)).toBe(
      "Dana Demo deleted the client Blue Harbor and its data.",
    );
    expect(auditSentence(line("member.remove", { userId: "gone", email: "old@x.test", role: "member" }, null), names)).toBe(
      "dana@x.test removed old@x.test (member) from the agency.",
    );
    expect(auditSentence({ action: "billing.invoice_paid", target: {}, actorName: null, actorEmail: null }, names)).toBe("Spendlane recorded a paid invoice.");
  });

  it("never shows a bare code", () => {
    const s = auditSentence(line("something.new_here", {}), names);
    expect(s).toBe("Dana Demo did something new here.");
    expect(s).not.toMatch(/\w\.\w/);
  });

  it("collects the ids to resolve", () => {
    expect(auditIds([line("meta.attach", { workspaceId: "w1" }), line("member.transfer_ownership", { fromUserId: "u1", toUserId: "u2" })])).toEqual({
      clients: ["w1"],
      people: ["u2"],
    });
  });
});
