import { hash, verify } from "@node-rs/argon2";
import type { Tx } from "../db/connection";
import { InputError, isUniqueViolation } from "../errors";

// argon2id with OWASP's recommended minimum (19 MiB, 2 iterations).
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string) {
  return hash(password, ARGON);
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) return false;
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A fixed hash to verify against when the email is unknown, so timing does not reveal it. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash() {
  dummyHash ??= hash("not-a-real-password-0", ARGON);
  return dummyHash;
}

export interface NewUser {
  email: string;
  name?: string | null;
  password?: string | null;
  facebookUserId?: string | null;
}

/** Inserts a user (service path: sign-up, invitations, CLI). Email must already be validated. */
export async function insertUser(tx: Tx, u: NewUser): Promise<{ id: string; email: string }> {
  const passwordHash = u.password ? await hashPassword(u.password) : null;
  try {
    const [row] = await tx<{ id: string; email: string }[]>`
      insert into public.users (email, name, password_hash, facebook_user_id, facebook_linked_at)
      values (${u.email.toLowerCase()}, ${u.name ?? null}, ${passwordHash}, ${u.facebookUserId ?? null},
        ${u.facebookUserId ? new Date() : null})
      returning id, email`;
    return row;
  } catch (err) {
    if (isUniqueViolation(err, "users_email_key")) {
      throw new InputError("An account with this email already exists", { email: "An account with this email already exists" });
    }
    if (isUniqueViolation(err, "users_facebook_user_id_key")) {
      throw new InputError("This Facebook account is already linked to another user");
    }
    throw err;
  }
}

export async function findUserByEmail(tx: Tx, email: string) {
  const [row] = await tx<{ id: string; email: string; name: string | null; password_hash: string | null }[]>`
    select id, email, name, password_hash from public.users where lower(email) = ${email.toLowerCase()}`;
  return row;
}
