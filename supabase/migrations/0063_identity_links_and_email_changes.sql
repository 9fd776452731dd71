-- Security review, finding 1: account pre-takeover through an unverified Facebook sign-up.
--
-- "Continue with Facebook" created an account with whatever email the person typed. When the real
-- owner of that address later reset the password and joined an agency, the Facebook identity stayed
-- linked, and its holder logged straight into the owner's account. Now (ADR 0063):
-- - users.email_verified_at: when someone last proved they read this address (a password reset or a
--   confirmed email change). NULL for addresses nobody has proven.
-- - users.facebook_linked_at / facebook_link_proven: when the Facebook identity was linked, and
--   whether that happened while the email was proven (from a signed-in session of a verified
--   account). An unproven link is removed at the next password reset or email change unless the
--   person, who has just proven the mailbox, explicitly keeps it.
-- - private.email_changes: an email change waits for a link mailed to the new address.
-- Existing links date from sign-ups nobody verified: unproven.

alter table public.users
  add column email_verified_at timestamptz,
  add column facebook_linked_at timestamptz,
  add column facebook_link_proven boolean not null default false;
update public.users set facebook_linked_at = created_at where facebook_user_id is not null;
-- (no grants: the new columns are read by service transactions only)

create table private.email_changes (
  token_hash text primary key,
  user_id uuid not null references public.users (id) on delete cascade,
  new_email text not null check (length(new_email) between 3 and 254 and new_email = lower(new_email) and position('@' in new_email) > 1),
  expires_at timestamptz not null default (now() + interval '24 hours'),
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index email_changes_user_id_idx on private.email_changes (user_id);
alter table private.email_changes enable row level security;
revoke all on private.email_changes from public, anon, authenticated;
grant all on private.email_changes to service_role;

alter table private.mail_outbox drop constraint if exists mail_outbox_template_check;
alter table private.mail_outbox add constraint mail_outbox_template_check
  check (template in ('invitation', 'password_reset', 'email_change', 'email_change_notice'));
