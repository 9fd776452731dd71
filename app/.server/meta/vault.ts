/**
 * Token vault: the only place Meta tokens are written or read in plain text. Service path only
 * (asService): `authenticated` and `anon` have no grant that reaches either backend.
 *
 * Backends, one interface:
 * - Supabase Vault when the `vault` schema with `vault.create_secret` exists: secrets are created with
 *   vault.create_secret and read through vault.decrypted_secrets (Supabase manages its keys, so
 *   rotateVaultKeys has nothing to do there).
 * - Otherwise AES-256-GCM into private.token_vault (key_id, nonce, ciphertext, auth_tag) with the key
 *   from VAULT_KEY / VAULT_KEY_ID; VAULT_OLD_KEYS ("kid:base64,...") keeps older keys readable until
 *   `spendlane vault rotate` re-encrypts everything under the current key. The key never enters the
 *   database. The row id is bound in as additional authenticated data, so a ciphertext copied into
 *   another row does not decrypt.
 *
 * node:crypto is fine here: the vault is not part of the runtime-agnostic sync core.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import type { Tx } from "../db/connection";
import { env } from "../env";

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultError";
  }
}

export interface VaultKey {
  id: string;
  key: Buffer;
}

export interface VaultKeyring {
  current: VaultKey;
  /** every key that may decrypt, by id (includes current) */
  byId: Map<string, Buffer>;
}

const KEY_ID_RE = /^[a-z0-9_-]{1,32}$/;

function decodeKey(id: string, b64: string): Buffer {
  const key = Buffer.from(b64, "base64");
  if (key.length !== 32) throw new VaultError(`Vault key "${id}" must be 32 bytes, base64-encoded`);
  return key;
}

/** Builds a keyring from VAULT_KEY, VAULT_KEY_ID and VAULT_OLD_KEYS ("kid:base64,kid2:base64"). */
export function parseKeyring(current: { id: string; key: string }, oldKeys?: string): VaultKeyring {
  if (!KEY_ID_RE.test(current.id)) throw new VaultError("VAULT_KEY_ID must be 1-32 characters of a-z, 0-9, _ or -");
  const byId = new Map<string, Buffer>();
  for (const part of (oldKeys ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const i = part.indexOf(":");
    if (i <= 0) throw new VaultError('VAULT_OLD_KEYS entries must look like "kid:base64key"');
    const id = part.slice(0, i);
    if (!KEY_ID_RE.test(id)) throw new VaultError(`VAULT_OLD_KEYS has an invalid key id "${id}"`);
    byId.set(id, decodeKey(id, part.slice(i + 1)));
  }
  const key = decodeKey(current.id, current.key);
  const clash = byId.get(current.id);
  if (clash && !clash.equals(key)) throw new VaultError(`VAULT_OLD_KEYS lists key id "${current.id}" with a different key than VAULT_KEY`);
  byId.set(current.id, key);
  return { current: { id: current.id, key }, byId };
}

export function keyringFromEnv(): VaultKeyring {
  const e = env();
  return parseKeyring({ id: e.VAULT_KEY_ID, key: e.VAULT_KEY }, e.VAULT_OLD_KEYS);
}

/** Binds a ciphertext to its row (and to this purpose). */
function aad(id: string): Buffer {
  return Buffer.from(`spendlane.token_vault.v1:${id}`, "utf8");
}

function encrypt(key: VaultKey, id: string, plaintext: string) {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key.key, nonce);
  cipher.setAAD(aad(id));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { key_id: key.id, nonce, ciphertext, auth_tag: cipher.getAuthTag() };
}

function decrypt(ring: VaultKeyring, row: { id: string; key_id: string; nonce: Buffer; ciphertext: Buffer; auth_tag: Buffer }): string {
  const key = ring.byId.get(row.key_id);
  if (!key) throw new VaultError(`Secret ${row.id} is encrypted with vault key "${row.key_id}", which is not configured (add it to VAULT_OLD_KEYS)`);
  if (row.nonce.length !== 12 || row.auth_tag.length !== 16)
    throw new VaultError(`Secret ${row.id} is damaged (bad nonce or tag length); it cannot be decrypted`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, row.nonce);
    decipher.setAAD(aad(row.id));
    decipher.setAuthTag(row.auth_tag);
    return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new VaultError(`Secret ${row.id} failed authentication: its ciphertext, nonce or tag was altered, or it belongs to another row`);
  }
}

/** True when Supabase Vault is installed in this database. */
export async function hasSupabaseVault(tx: Tx): Promise<boolean> {
  const [row] = await tx<{ present: boolean }[]>`
    select exists (
      select 1 from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'vault' and p.proname = 'create_secret'
    ) and exists (
      select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'vault' and c.relname = 'decrypted_secrets'
    ) as present`;
  return row.present;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkId(id: string) {
  if (!UUID_RE.test(id)) throw new VaultError("Invalid secret id");
}

/** Stores a secret and returns its id. */
export async function storeSecret(tx: Tx, plaintext: string, ring?: VaultKeyring): Promise<string> {
  if (typeof plaintext !== "string" || plaintext.length === 0) throw new VaultError("Refusing to store an empty secret");
  if (await hasSupabaseVault(tx)) {
    const id = randomUUID();
    const [row] = await tx<{ id: string }[]>`select vault.create_secret(${plaintext}, ${`spendlane:${id}`}, 'Spendlane Meta token') as id`;
    return row.id;
  }
  const keyring = ring ?? keyringFromEnv();
  const id = randomUUID();
  const enc = encrypt(keyring.current, id, plaintext);
  await tx`insert into private.token_vault (id, key_id, nonce, ciphertext, auth_tag)
    values (${id}, ${enc.key_id}, ${enc.nonce}, ${enc.ciphertext}, ${enc.auth_tag})`;
  return id;
}

/** Reads a secret; throws VaultError when it is missing or fails authentication. */
export async function readSecret(tx: Tx, id: string, ring?: VaultKeyring): Promise<string> {
  checkId(id);
  if (await hasSupabaseVault(tx)) {
    const [row] = await tx<{ decrypted_secret: string | null }[]>`select decrypted_secret from vault.decrypted_secrets where id = ${id}`;
    if (!row || row.decrypted_secret == null) throw new VaultError(`Secret ${id} not found`);
    return row.decrypted_secret;
  }
  const [row] = await tx<{ id: string; key_id: string; nonce: Buffer; ciphertext: Buffer; auth_tag: Buffer }[]>`
    select id::text as id, key_id, nonce, ciphertext, auth_tag from private.token_vault where id = ${id}`;
  if (!row) throw new VaultError(`Secret ${id} not found`);
  return decrypt(ring ?? keyringFromEnv(), row);
}

/** Deletes a secret (no error when it is already gone). */
export async function deleteSecret(tx: Tx, id: string): Promise<void> {
  checkId(id);
  if (await hasSupabaseVault(tx)) {
    await tx`delete from vault.secrets where id = ${id}`;
    return;
  }
  await tx`delete from private.token_vault where id = ${id}`;
}

/**
 * Re-encrypts every secret not under the current key with the current key (new nonce each). Rows are
 * locked while rotating; one undecryptable row aborts the whole rotation (the transaction rolls back),
 * so nothing is half-rotated. Supabase Vault rotates its own keys: nothing to do there.
 */
export async function rotateVaultKeys(tx: Tx, ring?: VaultKeyring): Promise<{ rotated: number }> {
  if (await hasSupabaseVault(tx)) return { rotated: 0 };
  const keyring = ring ?? keyringFromEnv();
  const rows = await tx<{ id: string; key_id: string; nonce: Buffer; ciphertext: Buffer; auth_tag: Buffer }[]>`
    select id::text as id, key_id, nonce, ciphertext, auth_tag from private.token_vault
    where key_id <> ${keyring.current.id} order by id for update`;
  for (const row of rows) {
    const enc = encrypt(keyring.current, row.id, decrypt(keyring, row));
    await tx`update private.token_vault
      set key_id = ${enc.key_id}, nonce = ${enc.nonce}, ciphertext = ${enc.ciphertext}, auth_tag = ${enc.auth_tag}, rotated_at = now()
      where id = ${row.id}`;
  }
  return { rotated: rows.length };
}
