/** Mail about the account itself: confirming a new sign-in address, and telling the old one. */
import { layout, type RenderedMail } from "./templates";

export function emailChangeMail(input: { url: string; newEmail: string }): RenderedMail {
  const subject = "Confirm your new Spendlane email";
  const lines = [
    `Someone signed in to Spendlane asked to make ${input.newEmail} the sign-in address of their account.`,
    "The address changes only when you confirm. The link works once and expires in 24 hours.",
  ];
  const footer = "If it was not you, ignore this email: nothing changes.";
  return {
    template: "email_change",
    subject,
    text: `${lines.join("\n")}\n\nConfirm: ${input.url}\n\n${footer}\n`,
    html: layout(subject, lines, { label: "Confirm this address", url: input.url }, footer),
  };
}

export function emailChangeNoticeMail(input: { newEmail: string; resetUrl: string }): RenderedMail {
  const subject = "Your Spendlane sign-in email is about to change";
  const lines = [
    `Someone signed in to your Spendlane account asked to move it to ${input.newEmail}. It moves once that address confirms.`,
    "If this was not you, reset your password now: that signs out every session and cancels the change.",
  ];
  const footer = "If it was you, there is nothing to do.";
  return {
    template: "email_change_notice",
    subject,
    text: `${lines.join("\n")}\n\nReset your password: ${input.resetUrl}\n\n${footer}\n`,
    html: layout(subject, lines, { label: "Reset your password", url: input.resetUrl }, footer),
  };
}
