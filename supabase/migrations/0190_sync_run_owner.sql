-- Which lease holder works on a sync run (ADR 0190).
--
-- A run that stalls past its lease (a long pause, a lost connection) can find, at its next write,
-- that another worker took the account over. It stops without writing; what happens to its run row
-- depends on who has it now: the new holder may have resumed that same row (same kind, from its
-- checkpoint), or started its own. lease_owner names the holder that last started or resumed the
-- row, so the stopped run closes its row only when the row is still its own, and never a row
-- another worker is carrying on. Readable like the rest of the row (an opaque id, not sensitive).

alter table public.sync_runs add column lease_owner uuid;
