-- Billing: plans as reference data, the link between an agency and its Stripe subscription, processed
-- Stripe events (webhook idempotency), and database-level plan limits on clients and seats.
-- See docs/decisions/0040-billing.md.

-- Plans. Reference data lives here (not in seed data) because limits are enforced by triggers that
-- read it. `clients` null means unlimited. The trial has Growth's limits.
create table public.plans (
  id text primary key check (id ~ '^[a-z][a-z0-9_]{0,31}$'),
  name text not null,
  clients integer check (clients is null or clients >= 0),
  seats integer not null check (seats >= 1),
  refresh_minutes integer not null check (refresh_minutes >= 1),
  -- plans a customer can buy through Checkout (the trial cannot be bought)
  purchasable boolean not null default true,
  sort_order integer not null default 0
);

insert into public.plans (id, name, clients, seats, refresh_minutes, purchasable, sort_order) values
  ('trial', 'Trial', 25, 10, 15, false, 0),
  ('starter', 'Starter', 5, 3, 60, true, 1),
  ('growth', 'Growth', 25, 10, 15, true, 2),
  ('scale', 'Scale', null, 30, 15, true, 3);

alter table public.agencies
  add constraint agencies_plan_id_fkey foreign key (plan_id) references public.plans (id);
create index agencies_plan_id_idx on public.agencies (plan_id);

-- When the subscription state on the agency was last written, in Stripe's clock (the `created` of
-- the event that wrote it). An event older than this never overwrites the state (out-of-order
-- delivery), see private webhook handling in app/.server/billing/webhooks.ts.
alter table public.agencies add column billing_state_at timestamptz;
alter table public.agencies add column billing_interval text check (billing_interval in ('month', 'year'));
alter table public.agencies add column cancel_at_period_end boolean not null default false;

alter table public.plans enable row level security;
revoke all on public.plans from anon, authenticated;
grant all on public.plans to service_role;
grant select on public.plans to authenticated;
create policy "Everyone signed in reads the plan list" on public.plans
  for select to authenticated using (true);

-- Stripe events already processed: a replayed or redelivered event id is acknowledged and ignored.
-- Only the webhook (service) path touches it.
create table public.stripe_events (
  id text primary key check (length(id) between 1 and 255),
  type text not null,
  agency_id uuid references public.agencies (id) on delete set null,
  event_created_at timestamptz not null,
  outcome text not null default 'applied',
  processed_at timestamptz not null default now()
);
create index stripe_events_agency_id_idx on public.stripe_events (agency_id);
alter table public.stripe_events enable row level security;
revoke all on public.stripe_events from anon, authenticated;
grant all on public.stripe_events to service_role;

-- Limits in the database: the last line of defence behind the server's assert functions, so a
-- second code path (CLI, a future API, a race between two requests) cannot exceed the plan.
-- Archived clients do not count (archiving frees a slot, data is kept); un-archiving counts as adding.
-- The agency row is locked first so two concurrent inserts cannot both see room for one more.
create or replace function private.enforce_client_limit() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_plan record;
  v_count bigint;
begin
  if new.archived_at is not null then
    return new;
  end if;
  if tg_op = 'UPDATE' and old.archived_at is null then
    return new;
  end if;
  select p.name, p.clients into v_plan
  from public.agencies a join public.plans p on p.id = a.plan_id
  where a.id = new.agency_id
  for update of a;
  if v_plan.clients is null then
    return new;
  end if;
  select count(*) into v_count from public.workspaces w
  where w.agency_id = new.agency_id and w.archived_at is null and w.id <> new.id;
  if v_count >= v_plan.clients then
    raise exception 'The % plan includes % active clients, and all are in use', v_plan.name, v_plan.clients
      using errcode = 'P0001', hint = 'plan_limit:clients';
  end if;
  return new;
end
$$;
create trigger workspaces_client_limit
  before insert or update of archived_at on public.workspaces
  for each row execute function private.enforce_client_limit();

-- Seats are agency members (owner, admin, member). Client viewers are free and do not count.
create or replace function private.enforce_seat_limit() returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_plan record;
  v_count bigint;
begin
  select p.name, p.seats into v_plan
  from public.agencies a join public.plans p on p.id = a.plan_id
  where a.id = new.agency_id
  for update of a;
  select count(*) into v_count from public.agency_members m
  where m.agency_id = new.agency_id;
  if v_count >= v_plan.seats then
    raise exception 'The % plan includes % seats, and all are in use', v_plan.name, v_plan.seats
      using errcode = 'P0001', hint = 'plan_limit:seats';
  end if;
  return new;
end
$$;
create trigger agency_members_seat_limit
  before insert on public.agency_members
  for each row execute function private.enforce_seat_limit();
