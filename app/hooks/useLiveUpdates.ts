/**
 * Live updates in the browser: one EventSource on GET /events for the workspaces a page shows (or
 * the agency on the overview).
 *
 * - `data` events revalidate the page's loaders, at most once per `minIntervalMs` (bursts of chunk
 *   commits during a backfill collapse into one reload; one that lands mid-reload queues one more).
 * - `progress` events are kept per ad account for progress bars.
 * - After the stream reconnects (EventSource retries by itself, after the server's `retry:`), the
 *   page revalidates once: events sent while disconnected are not replayed. A stream the server
 *   refused (401/404: EventSource gives up) is reopened with a growing delay, up to five minutes.
 * - KPI cards whose `data-value` changed because of a live reload get a short highlight.
 * - On a Supabase deployment (`realtime` given by the loader) the same events come from Supabase
 *   Realtime private channels instead (app/lib/live-supabase.ts, loaded only then); the handling
 *   above is shared.
 */
import { useRevalidator } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import type { SupabaseLiveConfig } from "~/lib/live-supabase";

export interface LiveProgress {
  workspaceId: string;
  adAccountId: string;
  progress: number;
  status: string;
}

export interface LiveState {
  connected: boolean;
  /** Latest progress per ad account since the page opened. */
  progress: Record<string, LiveProgress>;
  /** Browser time of the last revalidation triggered by a data event. */
  lastLiveReload: number | null;
}

export interface LiveOptions {
  workspaceIds?: string[];
  agency?: string;
  minIntervalMs?: number;
  /** Root whose `[data-value]` elements are highlighted when a live reload changes them. */
  highlightRoot?: () => HTMLElement | null;
  /** Supabase Realtime instead of SSE (from the loader; null or absent elsewhere). Needs workspaceIds. */
  realtime?: SupabaseLiveConfig | null;
}

/** Tailwind classes of the highlight (listed here so the build keeps them). */
export const HIGHLIGHT_CLASSES = ["ring-2", "ring-emerald-400/70", "bg-emerald-500/10"];
const HIGHLIGHT_MS = 1600;

export function liveUrl(opts: Pick<LiveOptions, "workspaceIds" | "agency">): string | null {
  const q = new URLSearchParams();
  if (opts.agency) q.set("agency", opts.agency);
  else for (const id of [...new Set(opts.workspaceIds ?? [])].sort()) q.append("workspace", id);
  const s = q.toString();
  return s ? `/events?${s}` : null;
}

export function useLiveUpdates(opts: LiveOptions): LiveState {
  const revalidator = useRevalidator();
  const [connected, setConnected] = useState(false);
  const [progress, setProgress] = useState<Record<string, LiveProgress>>({});
  const [lastLiveReload, setLastLiveReload] = useState<number | null>(null);
  const url = liveUrl(opts);
  const minInterval = opts.minIntervalMs ?? 1000;

  // The revalidator changes identity every render; effects read the latest through refs.
  const revalidatorRef = useRef(revalidator);
  revalidatorRef.current = revalidator;
  const armedUntil = useRef(0);
  const pending = useRef(false);
  const lastRun = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const rootRef = useRef(opts.highlightRoot);
  rootRef.current = opts.highlightRoot;

  const runRevalidate = () => {
    timer.current = undefined;
    if (revalidatorRef.current.state !== "idle") {
      // Reloading already: one more reload after this one, with the newest data.
      pending.current = true;
      return;
    }
    lastRun.current = Date.now();
    armedUntil.current = Date.now() + 5000;
    setLastLiveReload(Date.now());
    revalidatorRef.current.revalidate();
  };
  const scheduleRef = useRef(() => {});
  scheduleRef.current = () => {
    if (timer.current) return;
    const wait = Math.max(0, lastRun.current + minInterval - Date.now());
    timer.current = setTimeout(runRevalidate, wait);
  };

  // A reload that was asked for while another ran starts as soon as that one is done.
  useEffect(() => {
    if (revalidator.state === "idle" && pending.current) {
      pending.current = false;
      scheduleRef.current();
    }
  }, [revalidator.state]);

  const onProgress = (raw: unknown) => {
    const p = raw as LiveProgress;
    if (!p || typeof p.adAccountId !== "string") return;
    setProgress((prev) => ({ ...prev, [p.adAccountId]: p }));
    if (p.status !== "running" && p.status !== "queued") scheduleRef.current();
  };
  const onProgressRef = useRef(onProgress);
  onProgressRef.current = onProgress;

  const realtime = opts.realtime ?? null;
  const realtimeKey = realtime ? `${realtime.url} ${[...new Set(opts.workspaceIds ?? [])].sort().join(",")}` : null;
  useEffect(() => {
    if (!realtime || !realtimeKey) return;
    const ids = [...new Set(opts.workspaceIds ?? [])].sort();
    const joined = new Set<string>();
    const everJoined = new Set<string>();
    let disposed = false;
    let close: (() => void) | undefined;
    void import("~/lib/live-supabase").then(({ connectSupabaseLive }) => {
      if (disposed) return;
      close = connectSupabaseLive(realtime, ids, {
        onJoined(id) {
          joined.add(id);
          setConnected(true);
          // a rejoin after a lost connection: nothing was replayed, so reload once
          if (everJoined.has(id)) scheduleRef.current();
          everJoined.add(id);
        },
        onLost(id) {
          joined.delete(id);
          if (joined.size === 0) setConnected(false);
        },
        onData: () => scheduleRef.current(),
        onProgress: (p) => onProgressRef.current(p),
      });
    });
    return () => {
      disposed = true;
      close?.();
      clearTimeout(timer.current);
      timer.current = undefined;
      setConnected(false);
    };
    // realtimeKey names the config and the workspace set: the only inputs that need a new subscription
  }, [realtimeKey]);

  useEffect(() => {
    if (realtime || !url || typeof EventSource === "undefined") return;
    let source: EventSource | null = null;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let backoff = 2000;
    let opened = false;
    let disposed = false;
    const connect = () => {
      source = new EventSource(url);
      source.addEventListener("open", () => {
        setConnected(true);
        backoff = 2000;
        // A reconnect: whatever changed meanwhile was not replayed, so reload once.
        if (opened) scheduleRef.current();
        opened = true;
      });
      source.addEventListener("error", () => {
        setConnected(false);
        if (source?.readyState === EventSource.CLOSED && !disposed) {
          // The server refused the stream (signed out, access lost): try again later, slower each time.
          source.close();
          reopen = setTimeout(connect, backoff);
          backoff = Math.min(backoff * 2, 300_000);
        }
      });
      source.addEventListener("data", () => scheduleRef.current());
      source.addEventListener("progress", (e) => {
        try {
          onProgressRef.current(JSON.parse((e as MessageEvent<string>).data));
        } catch {
          // a malformed frame is ignored; the next one carries the current state
        }
      });
    };
    connect();
    return () => {
      disposed = true;
      clearTimeout(reopen);
      clearTimeout(timer.current);
      timer.current = undefined;
      source?.close();
      setConnected(false);
    };
  }, [url, realtimeKey]);

  // Highlight values that a live reload changed: compare each [data-value] with what it showed before.
  useEffect(() => {
    const root = rootRef.current?.() ?? document.body;
    const seen = new WeakMap<Element, string>();
    const scan = () => {
      const now = Date.now();
      for (const el of root.querySelectorAll("[data-value]")) {
        const value = el.getAttribute("data-value") ?? "";
        const before = seen.get(el);
        seen.set(el, value);
        if (before === undefined || before === value || now > armedUntil.current) continue;
        el.setAttribute("data-live-changed", "");
        el.classList.add(...HIGHLIGHT_CLASSES);
        setTimeout(() => {
          el.removeAttribute("data-live-changed");
          el.classList.remove(...HIGHLIGHT_CLASSES);
        }, HIGHLIGHT_MS);
      }
    };
    scan();
    const observer = new MutationObserver(scan);
    observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-value"] });
    return () => observer.disconnect();
  }, []);

  return { connected, progress, lastLiveReload };
}
