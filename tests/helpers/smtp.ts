/**
 * An SMTP server for tests (smtp-server, the reference implementation nodemailer is tested against):
 * records every message it accepts, and can hold a message's DATA without answering (a send that
 * never completes, for killing a worker mid-send) or answer with a temporary failure.
 */
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";

export interface Accepted {
  to: string[];
  messageId: string | null;
  subject: string | null;
  raw: string;
}

export interface TestSmtp {
  url: string;
  accepted: Accepted[];
  /** "accept" (default), "hold" (never answer DATA), "tempfail" (451) */
  mode: "accept" | "hold" | "tempfail";
  /** resolves when the next DATA arrives (held or not) */
  nextData(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  let waiters: (() => void)[] = [];
  const state: TestSmtp = {
    url: "",
    accepted: [],
    mode: "accept",
    nextData: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
        if (state.mode === "hold") return; // never answer: the client waits mid-send
        if (state.mode === "tempfail") {
          const err = new Error("Mailbox temporarily unavailable") as Error & { responseCode: number };
          err.responseCode = 451;
          return callback(err);
        }
        const raw = Buffer.concat(chunks).toString("utf8");
        state.accepted.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          messageId: raw.match(/^Message-ID:\s*(.+)$/im)?.[1]?.trim() ?? null,
          subject: raw.match(/^Subject:\s*(.+)$/im)?.[1]?.trim() ?? null,
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return state;
}
