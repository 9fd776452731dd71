/**
 * The read side of the live channel: one event bus per process that fans database events out to
 * in-process subscribers (the SSE streams), each subscribed to a set of workspace ids.
 *
 * Two feeds behind one interface, so the browser cannot tell them apart:
 * - "listen" (PostgreSQL, Supabase): ONE dedicated `postgres` connection runs LISTEN on
 *   EVENTS_CHANNEL. postgres.js reconnects a dropped listener by itself and calls `onlisten` again;
 *   after every reconnect we catch up by reading data_versions / sync progress of the watched
 *   workspaces once, so a notification lost while the connection was down still reaches the browser.
 * - "poll" (embedded PGlite): NOTIFY through pglite-socket reaches no listener (ADR 0050), so
 *   one cheap statement every `pollMs` reads the versions and sync progress of every workspace that
 *   has a subscriber and emits what changed since the last read. A writer in this same process
 *   (publishEvent) nudges an immediate read; PGlite serialises transactions across connections, so
 *   that read waits for the writer's commit and never reports an uncommitted version.
 *
 * Bus state lives on globalThis: the server entry and the Vite-built bundle load separate copies of
 * this module and must share one LISTEN connection.
 */
import postgres from "postgres";
import { z } from "zod";
import { databaseUrl } from "../db/connection";
import { logger } from "../logger";
import { notification, type BusEvent, type BusMode, type BusOptions, type PollRow, type Subscription } from "./bus-events";
import { EVENTS_CHANNEL, LOCAL_PUBLISH_HOOK } from "./publish";

export type { BusEvent, BusMode, BusOptions, Subscription } from "./bus-events";

type Listener = (event: BusEvent) => void;

const log = logger.child({ module: "realtime-bus" });

export class EventBus {
  readonly mode: Promise<BusMode>;
  private readonly sql: postgres.Sql;
  private readonly pollMs: number;
  private readonly subs = new Map<string, Set<Listener>>();
  private readonly lastVersion = new Map<string, number>();
  /** adAccountId -> "runId|progress|status" as last seen (poll and catch-up reads). */
  private readonly lastProgress = new Map<string, string>();
  /** Workspaces whose baseline has not been read yet (their first read must not emit). */
  private readonly fresh = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private polling: Promise<void> | undefined;
  private pollAgain = false;
  private stopped = false;
  private listenCount = 0;
  private readonly nudge = () => void this.pollNow();
  private readonly id = crypto.randomUUID();
  private readonly watchdogMs: number;
  private watchdog: NodeJS.Timeout | undefined;
  private pingAnswered = true;
  readonly stats = { notifications: 0, polls: 0, emitted: 0, reconnects: 0, dropped: 0 };

  constructor(opts: BusOptions) {
    this.pollMs = opts.pollMs ?? 500;
    this.watchdogMs = opts.watchdogMs ?? 15_000;
    // A dedicated connection: never borrowed from the request pool, never starved by it.
    this.sql = postgres(opts.url, {
      max: 1,
      idle_timeout: 0,
      connect_timeout: 10,
      onnotice: () => {},
      types: {},
      connection: { application_name: opts.applicationName ?? "spendlane-live" },
    });
    this.mode = opts.mode ? Promise.resolve(opts.mode) : this.detectMode();
  }

  private async detectMode(): Promise<BusMode> {
    const [row] = await this.sql<{ v: string }[]>`select version() as v`;
    return /PGlite/i.test(row?.v ?? "") ? "poll" : "listen";
  }

  /** Connects the feed. Resolves once LISTEN is active (or the poll loop runs). */
  async start(): Promise<this> {
    const mode = await this.mode;
    if (mode === "listen") {
      await this.listen();
      this.watchdog = setInterval(() => void this.probe(), this.watchdogMs);
      this.watchdog.unref?.();
    } else {
      this.timer = setInterval(() => void this.pollNow(), this.pollMs);
      this.timer.unref?.();
      // Writers in this process tell us right away instead of waiting for the next tick.
      const g = globalThis as Record<string, unknown>;
      ((g[LOCAL_PUBLISH_HOOK] ??= new Set()) as Set<() => void>).add(this.nudge);
    }
    log.info({ mode }, "live event bus started");
    return this;
  }

  private async listen() {
    const { unlisten } = await this.sql.listen(
      EVENTS_CHANNEL,
      (payload) => this.onNotification(payload),
      () => this.onListen(),
    );
    this.unlisten = unlisten;
  }

  /**
   * postgres.js re-issues LISTEN after the connection drops, but gives up silently when that first
   * attempt fails (database still down). So the bus notifies itself now and then; a probe that did not
   * come back by the next one means the listener is gone, and LISTEN is set up again.
   */
  private async probe() {
    if (this.stopped) return;
    try {
      if (!this.pingAnswered) {
        log.warn("live listener stopped hearing the channel; listening again");
        await this.unlisten?.().catch(() => {});
        await this.listen();
      }
      this.pingAnswered = false;
      await this.sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify({ type: "ping", bus: this.id })})`;
    } catch (err) {
      if (!this.stopped) log.warn({ err }, "live listener probe failed; retrying");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.watchdog) clearInterval(this.watchdog);
    ((globalThis as Record<string, unknown>)[LOCAL_PUBLISH_HOOK] as Set<() => void> | undefined)?.delete(this.nudge);
    await this.unlisten?.().catch(() => {});
    await this.polling?.catch(() => {});
    await this.sql.end({ timeout: 2 });
    this.subs.clear();
  }

  /** Calls `fn` for every event of the given workspaces until closed. */
  subscribe(workspaceIds: Iterable<string>, fn: Listener): Subscription {
    let current = new Set<string>();
    const add = (ids: Set<string>) => {
      const added: string[] = [];
      for (const id of ids) {
        if (current.has(id)) continue;
        let set = this.subs.get(id);
        if (!set) {
          set = new Set();
          this.subs.set(id, set);
          this.fresh.add(id);
          added.push(id);
        }
        set.add(fn);
      }
      for (const id of current) {
        if (ids.has(id)) continue;
        const set = this.subs.get(id);
        set?.delete(fn);
        if (set && set.size === 0) this.forget(id);
      }
      current = ids;
      if (added.length) {
        // Read the baseline of newly watched workspaces now, not at the next tick.
        void this.mode.then((m) => (m === "poll" || this.listenCount > 0 ? this.pollNow() : undefined));
      }
    };
    add(new Set(workspaceIds));
    return {
      update: (ids) => add(new Set(ids)),
      close: () => add(new Set()),
    };
  }

  /** Workspaces with at least one subscriber in this process. */
  watchedWorkspaces(): string[] {
    return [...this.subs.keys()];
  }

  private forget(workspaceId: string) {
    this.subs.delete(workspaceId);
    this.fresh.delete(workspaceId);
    this.lastVersion.delete(workspaceId);
    // progress entries are keyed by account; they are pruned on the next read of the remaining set
  }

  private emit(event: BusEvent) {
    const set = this.subs.get(event.workspaceId);
    if (!set) return;
    this.stats.emitted++;
    for (const fn of [...set]) {
      try {
        fn(event);
      } catch (err) {
        log.error({ err }, "live subscriber failed");
      }
    }
  }

  private onNotification(payload: string) {
    this.stats.notifications++;
    let parsed: z.infer<typeof notification>;
    try {
      const r = notification.safeParse(JSON.parse(payload));
      if (!r.success) throw r.error;
      parsed = r.data;
    } catch {
      this.stats.dropped++;
      log.warn({ bytes: payload.length }, "ignored a malformed live event");
      return;
    }
    if (parsed.type === "ping") {
      if (parsed.bus === this.id) this.pingAnswered = true;
      return;
    }
    if (!this.subs.has(parsed.workspaceId)) return;
    if (parsed.type === "data") {
      // Catch-up reads and notifications can report the same version: deliver each version once.
      const last = this.lastVersion.get(parsed.workspaceId);
      if (last !== undefined && parsed.version <= last) return;
      this.lastVersion.set(parsed.workspaceId, parsed.version);
      this.fresh.delete(parsed.workspaceId);
      this.emit({ type: "data", workspaceId: parsed.workspaceId, version: parsed.version });
    } else {
      const status = parsed.status ?? (parsed.progress >= 100 ? "succeeded" : "running");
      if (parsed.runId) this.lastProgress.set(parsed.adAccountId, `${parsed.runId}|${parsed.progress.toFixed(2)}|${status}`);
      this.emit({ type: "progress", workspaceId: parsed.workspaceId, adAccountId: parsed.adAccountId, progress: parsed.progress, status });
    }
  }

  private onListen() {
    this.listenCount++;
    if (this.listenCount > 1) {
      this.stats.reconnects++;
      log.warn({ reconnects: this.stats.reconnects }, "live listener reconnected; catching up");
    }
    // First connect: baseline. Reconnect: emit whatever changed while no one was listening.
    void this.pollNow();
  }

  /** Reads versions and progress of every watched workspace once (coalesced: one read at a time). */
  pollNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.polling) {
      this.pollAgain = true;
      return this.polling;
    }
    this.polling = (async () => {
      try {
        do {
          this.pollAgain = false;
          await this.readOnce();
        } while (this.pollAgain && !this.stopped);
      } catch (err) {
        if (!this.stopped) log.warn({ err }, "live poll failed; retrying on the next tick");
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  private async readOnce() {
    const ids = [...this.subs.keys()];
    if (ids.length === 0) return;
    this.stats.polls++;
    const fresh = new Set(ids.filter((id) => this.fresh.has(id)));
    // One statement for all watched workspaces: versions, and each account's latest run.
    const [row] = await this.sql<PollRow[]>`
      select
        (select coalesce(json_agg(json_build_object('w', d.workspace_id, 'v', d.version::text)), '[]'::json)
           from public.data_versions d where d.workspace_id = any(${ids}::uuid[])) as versions,
        (select coalesce(json_agg(json_build_object('w', a.workspace_id, 'a', a.id, 'run', r.id, 'p', r.progress::text, 's', r.status)), '[]'::json)
           from public.ad_accounts a
           left join lateral (
             select s.id, s.progress, s.status from public.sync_runs s
             where s.ad_account_id = a.id order by s.created_at desc limit 1
           ) r on true
           where a.workspace_id = any(${ids}::uuid[])) as accounts`;
    if (!row) return;
    for (const v of row.versions) {
      const version = Number(v.v);
      const last = this.lastVersion.get(v.w);
      if (!this.subs.has(v.w)) continue;
      if (last === undefined || version > last) this.lastVersion.set(v.w, version);
      if (!fresh.has(v.w) && last !== undefined && version > last) this.emit({ type: "data", workspaceId: v.w, version });
    }
    const seen = new Set<string>();
    for (const a of row.accounts) {
      seen.add(a.a);
      if (!a.run || !this.subs.has(a.w)) continue;
      const progress = Number(a.p ?? 0);
      const status = a.s ?? "queued";
      const key = `${a.run}|${progress.toFixed(2)}|${status}`;
      const last = this.lastProgress.get(a.a);
      this.lastProgress.set(a.a, key);
      if (fresh.has(a.w) || last === key) continue;
      // An account first seen in a known workspace (new connection) reports its run too.
      this.emit({ type: "progress", workspaceId: a.w, adAccountId: a.a, progress, status });
    }
    for (const id of this.lastProgress.keys()) if (!seen.has(id)) this.lastProgress.delete(id);
    for (const id of fresh) this.fresh.delete(id);
  }
}

interface BusState {
  bus?: EventBus;
  starting?: Promise<EventBus>;
  options?: BusOptions;
}
const state: BusState = ((globalThis as Record<string, unknown>).__spendlaneBus ??= {}) as BusState;

/** Tells the process which database its bus listens to (runtime boot). Starts lazily on first use. */
export function configureBus(options: BusOptions) {
  state.options = options;
}

/** The process's bus, started on first use. */
export async function getBus(): Promise<EventBus> {
  if (state.bus) return state.bus;
  state.starting ??= (async () => {
    const options = state.options ?? { url: databaseUrl() ?? "" };
    if (!options.url) throw new Error("Database not configured: the live event bus needs the database URL");
    const bus = await new EventBus(options).start();
    state.bus = bus;
    return bus;
  })();
  try {
    return await state.starting;
  } catch (err) {
    state.starting = undefined;
    throw err;
  }
}

export async function stopBus(): Promise<void> {
  const b = state.bus ?? (await state.starting?.catch(() => undefined));
  state.bus = undefined;
  state.starting = undefined;
  await b?.stop();
}
