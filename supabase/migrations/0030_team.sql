-- Team, invitations, client viewers, email outbox and password resets.
--
-- The rules the server checks are enforced here as well, so a missed check in TypeScript cannot
-- break them:
--   * an invitation's workspace belongs to the invitation's agency (otherwise accepting it would grant
--     a viewer row in another tenant), it expires within 7 days, and once accepted or revoked it stays
--     closed;
--   * accepting is one security definer function: bound to the invited email, single use, not after
--     expiry or revocation; grants membership or viewer access, marks the invitation accepted and
--     writes the audit row in one transaction;
--   * ownership transfer is one security definer function (RLS forbids updating your own row, and the
--     previous owner must step down to admin in the same transaction);
--   * the email outbox and password-reset tokens live in the private schema: service role only.

-- Invitations: same-agency workspace, bounded expiry, closed invitations stay closed.
create or replace function private.invitation_guard() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and (old.accepted_at is not null or old.revoked_at is not null) then
    raise exception 'This invitation is already closed' using errcode = 'P0001', hint = 'invitation_closed';
  end if;
  if new.workspace_id is not null and not exists (
    select 1 from public.workspaces w where w.id = new.workspace_id and w.agency_id = new.agency_id
  ) then
    raise exception 'The client workspace is not in this agency' using errcode = 'P0001', hint = 'workspace_agency_mismatch';
  end if;
  if new.expires_at > now() + interval '7 days 1 minute' then
    raise exception 'Invitations expire within 7 days' using errcode = 'P0001', hint = 'expiry_too_long';
  end if;
  return new;
end
$$;
create trigger invitations_guard
  before insert or update on public.invitations
  for each row execute function private.invitation_guard();

-- Seats in use: members plus open (not accepted, not revoked, not expired) member/admin invitations.
-- Client viewers are free (docs/decisions/0030-seats.md). Definer so every caller counts the same rows.
create or replace function private.seats_in_use(p_agency uuid) returns bigint
language sql stable security definer
set search_path = ''
as $$
  select (select count(*) from public.agency_members m where m.agency_id = p_agency)
       + (select count(*) from public.invitations i
          where i.agency_id = p_agency and i.role in ('admin', 'member')
            and i.accepted_at is null and i.revoked_at is null and i.expires_at > now())
$$;
grant execute on function private.seats_in_use(uuid) to authenticated, service_role;

-- Open member/admin invitations hold a seat, so inviting beyond the plan is refused here as well as
-- in the server. Plans arrive with billing (0040); until that table exists there is no limit to apply.
-- Locking the agency row serialises concurrent invitations (and the member seat trigger of 0040).
create or replace function private.enforce_invitation_seat_limit() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_name text;
  v_seats integer;
begin
  if new.role not in ('admin', 'member') or new.accepted_at is not null or new.revoked_at is not null then
    return new;
  end if;
  -- a resend of an invitation that was still open keeps the seat it already held
  if tg_op = 'UPDATE' and old.expires_at > now() then
    return new;
  end if;
  if to_regclass('public.plans') is null then
    return new;
  end if;
  select p.name, p.seats into v_name, v_seats
  from public.agencies a join public.plans p on p.id = a.plan_id
  where a.id = new.agency_id
  for update of a;
  if v_seats is not null and private.seats_in_use(new.agency_id) >= v_seats then
    raise exception 'The % plan includes % seats, and all are in use or invited', v_name, v_seats
      using errcode = 'P0001', hint = 'plan_limit:seats';
  end if;
  return new;
end
$$;
create trigger invitations_seat_limit
  before insert or update of expires_at on public.invitations
  for each row execute function private.enforce_invitation_seat_limit();

-- What the invitation page shows to whoever holds the token (anonymous or signed in). The token is
-- 32 random bytes, so holding its hash's preimage is the authorisation; nothing else is revealed.
create or replace function private.invitation_preview(p_token_hash text)
returns table (
  invitation_id uuid,
  email text,
  invited_role text,
  agency_name text,
  agency_slug text,
  workspace_name text,
  workspace_slug text,
  status text,
  account_exists boolean,
  expires_at timestamptz
)
language sql stable security definer
set search_path = ''
as $$
  select i.id, i.email, i.role, a.name, a.slug, w.name, w.slug,
    case when i.accepted_at is not null then 'accepted'
         when i.revoked_at is not null then 'revoked'
         when i.expires_at <= now() then 'expired'
         else 'pending' end,
    exists (select 1 from public.users u where lower(u.email) = i.email),
    i.expires_at
  from public.invitations i
  join public.agencies a on a.id = i.agency_id
  left join public.workspaces w on w.id = i.workspace_id
  where i.token_hash = p_token_hash
$$;
grant execute on function private.invitation_preview(text) to anon, authenticated, service_role;

-- Accepts an invitation as the current user. Raises with a hint the server maps to a message.
create or replace function private.accept_invitation(p_token_hash text)
returns table (agency_id uuid, agency_slug text, workspace_id uuid, workspace_slug text, granted_role text)
language plpgsql security definer
set search_path = ''
as $$
declare
  v_uid uuid := private.current_user_id();
  v_email text;
  v_inv public.invitations%rowtype;
begin
  if v_uid is null then
    raise exception 'Sign in to accept this invitation' using errcode = 'P0001', hint = 'not_signed_in';
  end if;
  select u.email into v_email from public.users u where u.id = v_uid;
  select * into v_inv from public.invitations i where i.token_hash = p_token_hash for update;
  if not found then
    raise exception 'This invitation link is not valid' using errcode = 'P0001', hint = 'invitation_not_found';
  end if;
  if v_inv.accepted_at is not null then
    raise exception 'This invitation has already been used' using errcode = 'P0001', hint = 'invitation_used';
  end if;
  if v_inv.revoked_at is not null then
    raise exception 'This invitation was revoked' using errcode = 'P0001', hint = 'invitation_revoked';
  end if;
  if v_inv.expires_at <= now() then
    raise exception 'This invitation has expired' using errcode = 'P0001', hint = 'invitation_expired';
  end if;
  if v_inv.email <> lower(v_email) then
    raise exception 'This invitation was sent to another email address' using errcode = 'P0001', hint = 'invitation_wrong_email';
  end if;

  if v_inv.role = 'viewer' then
    insert into public.workspace_viewers (workspace_id, user_id, agency_id)
    values (v_inv.workspace_id, v_uid, v_inv.agency_id)
    on conflict do nothing;
  else
    -- Someone who is already a member keeps their role: an invitation never demotes.
    insert into public.agency_members (agency_id, user_id, role)
    values (v_inv.agency_id, v_uid, v_inv.role)
    on conflict do nothing;
  end if;
  update public.invitations i set accepted_at = now() where i.id = v_inv.id;
  insert into public.audit_log (agency_id, actor_user_id, action, target)
  values (v_inv.agency_id, v_uid, 'invitation.accept', jsonb_build_object(
    'invitationId', v_inv.id, 'email', v_inv.email, 'role', v_inv.role, 'workspaceId', v_inv.workspace_id));

  return query
    select a.id, a.slug, w.id, w.slug, v_inv.role
    from public.agencies a
    left join public.workspaces w on w.id = v_inv.workspace_id
    where a.id = v_inv.agency_id;
end
$$;
grant execute on function private.accept_invitation(text) to authenticated, service_role;

-- Owner hands the agency to another member: the member becomes owner, the caller becomes admin.
create or replace function private.transfer_ownership(p_agency uuid, p_new_owner uuid) returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_uid uuid := private.current_user_id();
begin
  if v_uid is null or not exists (
    select 1 from public.agency_members m where m.agency_id = p_agency and m.user_id = v_uid and m.role = 'owner'
  ) then
    raise exception 'Only an owner can transfer ownership' using errcode = '42501', hint = 'not_owner';
  end if;
  if p_new_owner = v_uid then
    raise exception 'Choose another member to transfer ownership to' using errcode = 'P0001', hint = 'transfer_to_self';
  end if;
  update public.agency_members m set role = 'owner' where m.agency_id = p_agency and m.user_id = p_new_owner;
  if not found then
    raise exception 'That person is not a member of this agency' using errcode = 'P0001', hint = 'not_member';
  end if;
  update public.agency_members m set role = 'admin' where m.agency_id = p_agency and m.user_id = v_uid;
  insert into public.audit_log (agency_id, actor_user_id, action, target)
  values (p_agency, v_uid, 'member.transfer_ownership', jsonb_build_object('fromUserId', v_uid, 'toUserId', p_new_owner));
end
$$;
grant execute on function private.transfer_ownership(uuid, uuid) to authenticated, service_role;

-- Outgoing email when no SMTP server is configured (development, demo, tests). Service role only:
-- bodies carry single-use links.
create table private.mail_outbox (
  id bigint generated always as identity primary key,
  to_address text not null check (length(to_address) between 3 and 254),
  subject text not null check (length(subject) <= 300),
  template text not null check (template in ('invitation', 'password_reset')),
  text_body text not null,
  html_body text not null,
  created_at timestamptz not null default now()
);
create index mail_outbox_to_address_idx on private.mail_outbox (to_address, created_at desc);
alter table private.mail_outbox enable row level security;
revoke all on private.mail_outbox from public, anon, authenticated;
grant all on private.mail_outbox to service_role;

-- Password reset tokens: only the SHA-256 of the token is stored; single use; one hour.
create table private.password_resets (
  token_hash text primary key,
  user_id uuid not null references public.users (id) on delete cascade,
  expires_at timestamptz not null default (now() + interval '1 hour'),
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index password_resets_user_id_idx on private.password_resets (user_id);
alter table private.password_resets enable row level security;
revoke all on private.password_resets from public, anon, authenticated;
grant all on private.password_resets to service_role;
