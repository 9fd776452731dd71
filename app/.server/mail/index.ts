/**
 * Outgoing email. With SMTP_URL set, messages go through nodemailer; without it (development, demo,
 * tests) they are written to private.mail_outbox, which /dev/outbox lists and tests read back.
 *
 * Never log a message body or a link: they carry single-use tokens. Log lines name the template and
 * the recipient's domain only.
 */
import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env";
import { asService } from "../db/connection";
import { logger } from "../logger";
import type { RenderedMail } from "./templates";

export * from "./templates";

let transport: { url: string; t: Transporter } | undefined;
function smtp(url: string): Transporter {
  if (transport?.url !== url) transport = { url, t: nodemailer.createTransport(url) };
  return transport.t;
}

function domainOf(address: string) {
  return address.split("@").pop() ?? "";
}

export async function sendMail(to: string, mail: RenderedMail): Promise<{ via: "smtp" | "outbox" }> {
  const { SMTP_URL, MAIL_FROM } = env();
  if (SMTP_URL) {
    try {
      await smtp(SMTP_URL).sendMail({ from: MAIL_FROM, to, subject: mail.subject, text: mail.text, html: mail.html });
    } catch (err) {
      // nodemailer errors may echo the SMTP URL (with credentials); keep only the code.
      logger.error({ template: mail.template, toDomain: domainOf(to), code: (err as { code?: string }).code }, "email delivery failed");
      throw new Error("The email could not be sent; try again later");
    }
    logger.info({ template: mail.template, toDomain: domainOf(to) }, "email sent");
    return { via: "smtp" };
  }
  await asService((tx) => tx`
    insert into private.mail_outbox (to_address, subject, template, text_body, html_body)
    values (${to.toLowerCase()}, ${mail.subject}, ${mail.template}, ${mail.text}, ${mail.html})`);
  logger.info({ template: mail.template, toDomain: domainOf(to) }, "email written to the outbox");
  return { via: "outbox" };
}

export interface OutboxMessage {
  id: string;
  toAddress: string;
  subject: string;
  template: RenderedMail["template"];
  textBody: string;
  htmlBody: string;
  createdAt: Date;
}

/** Newest first. Development, demo and tests only (the dev outbox page and tests call it). */
export async function listOutbox(opts: { to?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const to = opts.to?.toLowerCase() ?? null;
  return asService((tx) => tx<OutboxMessage[]>`
    select o.id::text as "id", o.to_address as "toAddress", subject, template, text_body as "textBody",
      html_body as "htmlBody", created_at as "createdAt"
    from private.mail_outbox o
    where (${to}::text is null or o.to_address = ${to}::text)
    -- o.id, not id: a bare "id" here would sort by the text alias above ("9" after "10")
    order by o.id desc
    limit ${limit}`);
}

/** The first link in a message's text body (tests and the outbox page use it). */
export function firstLink(text: string): string | undefined {
  return text.match(/https?:\/\/\S+/)?.[0];
}

/**
 * Base URL for links in emails: APP_URL when configured. Without it the request's own origin is used,
 * which is right for local and demo use; production deployments set APP_URL so a forged Host header
 * cannot point a reset link elsewhere.
 */
export function appBaseUrl(request?: Request): string {
  const configured = env().APP_URL;
  if (configured) return configured.replace(/\/+$/, "");
  if (request) return new URL(request.url).origin;
  return `http://localhost:${env().PORT}`;
}
