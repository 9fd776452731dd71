-- Sync engine bookkeeping on top of 0003: a lease that keeps one sync per ad account at a time
-- across every worker (and survives a killed worker: the lease simply expires), the time of the last
-- daily restatement pass, and an index for the per-account day-range deletes of replace semantics.
--
-- A lease row rather than pg_advisory_lock: on the embedded engine every socket connection shares
-- one backend session, so session advisory locks do not exclude anyone there (ADR 0016).

alter table public.ad_accounts
  add column sync_lease_owner uuid,
  add column sync_lease_until timestamptz,
  add column last_restated_at timestamptz,
  add column last_incremental_at timestamptz;

-- The lease columns stay readable with the rest of the row (table-level select from 0003): an owner
-- id and an expiry time are not sensitive, and a column grant would break `select *` readers.

-- Replace semantics delete and re-insert one account's days in a range.
create index insights_daily_account_date_idx on public.insights_daily (ad_account_id, date);

-- The scheduler's "who is due" scan.
create index ad_accounts_sync_due_idx on public.ad_accounts (sync_status, last_incremental_at);

-- Resuming: the newest unfinished run of an account.
create index sync_runs_unfinished_idx on public.sync_runs (ad_account_id, created_at desc)
  where status in ('queued', 'running');
