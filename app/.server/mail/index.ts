/**
 * Outgoing email. With SMTP_URL set, messages go through nodemailer; without it (development, demo,
 * tests) they are written to private.mail_outbox, which /dev/outbox lists and tests read back.
 *
 * Never log a message body or a link: they carry single-use tokens. Log lines name the template and
 * the recipient's domain only.
 */
import nodemailer, { type Transporter } from "nodemailer";
import { env } from "../env";
import { asService, type Tx } from "../db/connection";
import { logger } from "../logger";
import { publicOrigin } from "../security/origin";
import type { RenderedMail } from "./templates";

export * from "./templates";
export * from "./account-templates";

let transport: { url: string; t: Transporter } | undefined;
function smtp(url: string): Transporter {
  if (transport?.url !== url) transport = { url, t: nodemailer.createTransport(url) };
  return transport.t;
}

function domainOf(address: string) {
  return address.split("@").pop() ?? "";
}

export interface SendOptions {
  /** write the outbox row in this transaction (a delivery marks itself sent in the same one) */
  tx?: Tx;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
  replyTo?: string | null;
  /** display name for MAIL_FROM's address (white label); the address itself stays ours */
  fromName?: string;
  /** a stable Message-ID, so a receiving system can recognise a repeated send of one message */
  messageId?: string;
}

/** MAIL_FROM with another display name: `"Acme Reports" <no-reply@…>`. */
function fromWithName(mailFrom: string, name: string | undefined) {
  if (!name) return mailFrom;
  const address = mailFrom.match(/<([^>]+)>/)?.[1] ?? mailFrom.trim();
  return { name, address };
}

export async function sendMail(to: string, mail: RenderedMail, opts: SendOptions = {}): Promise<{ via: "smtp" | "outbox" }> {
  const { SMTP_URL, MAIL_FROM } = env();
  if (SMTP_URL) {
    try {
      await smtp(SMTP_URL).sendMail({
        from: fromWithName(MAIL_FROM, opts.fromName),
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
        ...(opts.messageId ? { messageId: opts.messageId } : {}),
        ...(opts.attachments ? { attachments: opts.attachments } : {}),
      });
    } catch (err) {
      // nodemailer errors may echo the SMTP URL (with credentials); keep only the code.
      logger.error({ template: mail.template, toDomain: domainOf(to), code: (err as { code?: string }).code }, "email delivery failed");
      throw new Error("The email could not be sent; try again later");
    }
    logger.info({ template: mail.template, toDomain: domainOf(to) }, "email sent");
    return { via: "smtp" };
  }
  const attachments = (opts.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, bytes: a.content.length }));
  const write = (tx: Tx) => tx`
    insert into private.mail_outbox (to_address, subject, template, text_body, html_body, reply_to, attachments)
    values (${to.toLowerCase()}, ${mail.subject}, ${mail.template}, ${mail.text}, ${mail.html}, ${opts.replyTo ?? null}, ${tx.json(attachments)})`;
  if (opts.tx) await write(opts.tx);
  else await asService(write);
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
  replyTo: string | null;
  attachments: { filename: string; contentType: string; bytes: number }[];
  createdAt: Date;
}

/** Newest first. Development, demo and tests only (the dev outbox page and tests call it). */
export async function listOutbox(opts: { to?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const to = opts.to?.toLowerCase() ?? null;
  return asService(
    (tx) => tx<OutboxMessage[]>`
    select o.id::text as "id", o.to_address as "toAddress", subject, template, text_body as "textBody",
      html_body as "htmlBody", reply_to as "replyTo", attachments, created_at as "createdAt"
    from private.mail_outbox o
    where (${to}::text is null or o.to_address = ${to}::text)
    -- o.id, not id: a bare "id" here would sort by the text alias above ("9" after "10")
    order by o.id desc
    limit ${limit}`,
  );
}

/** The first link in a message's text body (tests and the outbox page use it). */
export function firstLink(text: string): string | undefined {
  return text.match(/https?:\/\/\S+/)?.[0];
}

/**
 * Base URL for links in emails (and other absolute URLs we hand out): APP_URL when configured, else
 * the request's origin only when it is a loopback host (development, the local demo). Never a
 * client-chosen Host: see security/origin.ts.
 */
export function appBaseUrl(request?: Request): string {
  const configured = env().APP_URL;
  if (configured) return configured.replace(/\/+$/, "");
  return publicOrigin(request);
}
