-- Security review, findings 6 and 7: login and password checks count failures, not successes.
--
-- An attempt is counted before the password is checked (so a burst of parallel guesses cannot all
-- slip through before the first failure is recorded) and handed back when it succeeds. This is the
-- hand-back: one hit less in the bucket's current window, never below zero. A refund for a window
-- that has already ended changes nothing. Callable by anon like private.hit_rate_limit (logins
-- happen before anyone is a user); buckets are hashes, so a caller can only refund a bucket whose
-- preimage (kind, scope, e-mail/IP) it knows, and only hits it made itself could be repaid in a way
-- that matters: the server calls it only after a correct password.

create or replace function private.refund_rate_limit(p_bucket text, p_window_seconds integer)
returns void
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_window timestamptz;
begin
  if p_window_seconds is null or p_window_seconds < 1 or p_window_seconds > 86400 then
    raise exception 'window must be 1..86400 seconds' using errcode = '22023';
  end if;
  v_window := to_timestamp(floor(extract(epoch from clock_timestamp()) / p_window_seconds) * p_window_seconds);
  update private.rate_limits r set hits = greatest(r.hits - 1, 0)
  where r.bucket = p_bucket and r.window_start = v_window;
end
$$;
revoke all on function private.refund_rate_limit(text, integer) from public;
grant execute on function private.refund_rate_limit(text, integer) to anon, authenticated, service_role;
