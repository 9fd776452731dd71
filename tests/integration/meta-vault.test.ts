import { describe, expect, it, inject } from "vitest";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { asService, asUser } from "../../app/.server/db/connection";
import {
  storeSecret,
  readSecret,
  deleteSecret,
  rotateVaultKeys,
  parseKeyring,
  keyringFromEnv,
  hasSupabaseVault,
  VaultError,
} from "../../app/.server/meta/vault";
import { createUser } from "../helpers/factories";
import { runProcess } from "../helpers/run-process";

const fakeToken = () => `EAAG${randomBytes(40).toString("hex")}`;
const envKey = process.env.VAULT_KEY!;
const newKey = randomBytes(32).toString("base64");

/**
 * Which of `needles` occur in any row of any table, read as text (what a backup would contain). The
 * search runs in the database, table by table: the shared test database holds a million fact rows by
 * the time this file runs, and loading them all into this process ran it out of heap.
 */
async function foundInRows(needles: string[]): Promise<Set<string>> {
  return asService(async (tx) => {
    const tables = await tx<{ s: string; t: string }[]>`
      select table_schema as s, table_name as t from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`;
    const found = new Set<string>();
    for (const { s, t } of tables) {
      const q = (n: string) => `"${n.replace(/"/g, '""')}"`;
      const rows = await tx.unsafe(`select n from unnest($1::text[]) n where exists (select 1 from ${q(s)}.${q(t)} x where strpos(x::text, n) > 0)`, [needles]);
      for (const r of rows) found.add(String(r.n));
    }
    return found;
  });
}

/** Which of `needles` occur in a file, read by grep (pg_dump's output can be hundreds of MB). */
async function foundInFile(file: string, needles: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const n of needles) {
    // grep's exit status: 0 found, 1 not found, anything else an error
    const r = await runProcess("grep", ["-F", "-q", "--", n, file], { timeoutMs: 150_000 });
    if (r.status !== 0 && r.status !== 1) throw new Error(`grep failed (${r.status}): ${r.stderr}`);
    if (r.status === 0) found.add(n);
  }
  return found;
}

/** Rolls back whatever fn did (keeps the shared test database untouched). */
async function inRolledBackTx(fn: (tx: Parameters<Parameters<typeof asService>[0]>[0]) => Promise<void>) {
  const sentinel = new Error("rollback");
  await expect(
    asService(async (tx) => {
      await fn(tx);
      throw sentinel;
    }),
  ).rejects.toBe(sentinel);
}

describe("token vault (AES-256-GCM in private.token_vault)", () => {
  it("stores, reads and deletes a secret", async () => {
    const token = fakeToken();
    const id = await asService((tx) => storeSecret(tx, token));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await asService((tx) => readSecret(tx, id))).toBe(token);
    const [row] = await asService((tx) => tx`select key_id, length(nonce) as n, length(auth_tag) as t from private.token_vault where id = ${id}`);
    expect(row).toMatchObject({ key_id: "k1", n: 12, t: 16 });
    await asService((tx) => deleteSecret(tx, id));
    await expect(asService((tx) => readSecret(tx, id))).rejects.toThrow(/not found/);
    await expect(asService((tx) => storeSecret(tx, ""))).rejects.toThrow(VaultError);
    await expect(asService((tx) => readSecret(tx, "not-a-uuid"))).rejects.toThrow(/Invalid secret id/);
  });

  it("leaves no token bytes in a full database dump", async () => {
    const token = fakeToken();
    const id = await asService((tx) => storeSecret(tx, token));
    const hex = Buffer.from(token).toString("hex");
    const b64 = Buffer.from(token).toString("base64");
    const needles = [id, token, hex, b64.slice(0, 40)];
    const dumps = [await foundInRows(needles)];
    if (inject("databaseEngine") === "postgres") {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vault-dump-"));
      try {
        const file = path.join(dir, "dump.sql");
        const dumped = await runProcess("pg_dump", ["--no-owner", "-f", file, inject("databaseUrl")], { timeoutMs: 240_000 });
        expect(dumped.status, dumped.stderr).toBe(0);
        dumps.push(await foundInFile(file, ["token_vault", ...needles]));
        expect(dumps[1]!.has("token_vault")).toBe(true);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    for (const found of dumps) {
      expect(found.has(id)).toBe(true); // the row is there...
      expect(found.has(token)).toBe(false); // ...but not the token
      expect(found.has(hex)).toBe(false);
      expect(found.has(b64.slice(0, 40))).toBe(false);
    }
  });

  it("authenticated and anon cannot reach private.token_vault", async () => {
    const user = await createUser();
    await expect(asUser(user.id, (tx) => tx`select * from private.token_vault`)).rejects.toMatchObject({ code: "42501" });
    await expect(asUser(null, (tx) => tx`select * from private.token_vault`)).rejects.toMatchObject({ code: "42501" });
    await expect(
      asUser(user.id, (tx) => tx`insert into private.token_vault (key_id, nonce, ciphertext, auth_tag) values ('k1', '\\x00', '\\x00', '\\x00')`),
    ).rejects.toMatchObject({ code: "42501" });
    await expect(asUser(user.id, (tx) => storeSecret(tx, fakeToken()))).rejects.toMatchObject({ code: "42501" });
  });

  it.each(["ciphertext", "auth_tag", "nonce"])("refuses a tampered %s with a clear error", async (column) => {
    const token = fakeToken();
    const id = await asService((tx) => storeSecret(tx, token));
    await asService((tx) =>
      tx.unsafe(`update private.token_vault set ${column} = set_byte(${column}, 0, (get_byte(${column}, 0) + 1) % 256) where id = $1`, [id]),
    );
    const err = await asService((tx) => readSecret(tx, id)).catch((e) => e);
    await asService((tx) => deleteSecret(tx, id)); // a damaged secret would block key rotation tests
    expect(err).toBeInstanceOf(VaultError);
    expect(err.message).toMatch(/failed authentication/);
    expect(err.message).not.toContain(token);
  });

  it("a ciphertext moved to another row does not decrypt (row id is bound as AAD)", async () => {
    const a = await asService((tx) => storeSecret(tx, fakeToken()));
    const b = await asService((tx) => storeSecret(tx, fakeToken()));
    await asService(
      (tx) => tx`update private.token_vault t set nonce = s.nonce, ciphertext = s.ciphertext, auth_tag = s.auth_tag
      from private.token_vault s where t.id = ${b} and s.id = ${a}`,
    );
    await expect(asService((tx) => readSecret(tx, b))).rejects.toThrow(/failed authentication/);
    expect(await asService((tx) => readSecret(tx, a))).toBeTruthy();
    await asService((tx) => deleteSecret(tx, b));
  });

  it("rotation: old keys still decrypt until rotated, then everything is under the new key", async () => {
    const token = fakeToken();
    const id = await asService((tx) => storeSecret(tx, token));
    const ringK2 = parseKeyring({ id: "k2", key: newKey }, `k1:${envKey}`);
    const ringK2only = parseKeyring({ id: "k2", key: newKey });
    // the new ring still reads the old secret through VAULT_OLD_KEYS
    expect(await asService((tx) => readSecret(tx, id, ringK2))).toBe(token);
    // without the old key it says what is missing
    await expect(asService((tx) => readSecret(tx, id, ringK2only))).rejects.toThrow(/"k1", which is not configured/);
    await inRolledBackTx(async (tx) => {
      const { rotated } = await rotateVaultKeys(tx, ringK2);
      expect(rotated).toBeGreaterThanOrEqual(1);
      const [row] = await tx`select key_id, rotated_at from private.token_vault where id = ${id}`;
      expect(row.key_id).toBe("k2");
      expect(row.rotated_at).not.toBeNull();
      expect(await readSecret(tx, id, ringK2only)).toBe(token);
      expect((await rotateVaultKeys(tx, ringK2)).rotated).toBe(0);
    });
  });

  it("a rotation that meets an undecryptable secret changes nothing", async () => {
    const id = await asService((tx) => storeSecret(tx, fakeToken(), parseKeyring({ id: "kx", key: randomBytes(32).toString("base64") })));
    try {
      const ring = parseKeyring({ id: "k9", key: newKey }, `k1:${envKey}`);
      await expect(asService((tx) => rotateVaultKeys(tx, ring))).rejects.toThrow(/"kx", which is not configured/);
      const [row] = await asService((tx) => tx`select count(*)::int as n from private.token_vault where key_id = 'k9'`);
      expect(row.n).toBe(0);
    } finally {
      await asService((tx) => deleteSecret(tx, id));
    }
  });

  it("validates key configuration", () => {
    expect(() => parseKeyring({ id: "k1", key: "c2hvcnQ=" })).toThrow(/32 bytes/);
    expect(() => parseKeyring({ id: "K 1", key: envKey })).toThrow(/VAULT_KEY_ID/);
    expect(() => parseKeyring({ id: "k1", key: envKey }, "nocolon")).toThrow(/kid:base64key/);
    expect(() => parseKeyring({ id: "k1", key: envKey }, `k1:${newKey}`)).toThrow(/different key/);
    expect(keyringFromEnv().current.id).toBe("k1");
  });

  it("`spendlane vault rotate` re-encrypts secrets under old keys and prints {rotated:N}", async () => {
    const oldKey = randomBytes(32).toString("base64");
    const token = fakeToken();
    const id = await asService((tx) => storeSecret(tx, token, parseKeyring({ id: "kold", key: oldKey })));
    try {
      const { status, stdout, stderr } = await runProcess("node", ["cli/bin.mjs", "vault", "rotate"], {
        timeoutMs: 150_000,
        env: {
          ...process.env,
          DATABASE_URL: inject("databaseUrl"),
          VAULT_KEY: envKey,
          VAULT_KEY_ID: "k1",
          VAULT_OLD_KEYS: `kold:${oldKey}`,
          LOG_LEVEL: "debug",
          NODE_ENV: "test",
        },
      });
      expect(status, stderr).toBe(0);
      const out = JSON.parse(stdout.trim());
      expect(out.rotated).toBeGreaterThanOrEqual(1);
      expect(stdout + stderr).not.toContain(token);
      expect(await asService((tx) => readSecret(tx, id))).toBe(token);
      const [row] = await asService((tx) => tx`select key_id from private.token_vault where id = ${id}`);
      expect(row.key_id).toBe("k1");
    } finally {
      await asService((tx) => deleteSecret(tx, id));
    }
  });
});

describe("token vault (Supabase Vault backend)", () => {
  // Supabase Vault is not available locally. This installs a stand-in with the same documented
  // surface (vault.create_secret, vault.secrets, vault.decrypted_secrets) inside a transaction that
  // is rolled back, to check that we detect it and use only that surface. It does not test Supabase.
  it("is detected and used through create_secret / decrypted_secrets, and rotation is left to Supabase", async () => {
    await inRolledBackTx(async (tx) => {
      expect(await hasSupabaseVault(tx)).toBe(false);
      await tx.unsafe(`
        create schema vault;
        create table vault.secrets (id uuid primary key default gen_random_uuid(), name text unique, description text, secret text not null);
        create function vault.create_secret(new_secret text, new_name text default null, new_description text default '') returns uuid
          language sql as $$ insert into vault.secrets (name, description, secret) values (new_name, new_description, new_secret) returning id $$;
        create view vault.decrypted_secrets as select id, name, description, secret, secret as decrypted_secret from vault.secrets;`);
      expect(await hasSupabaseVault(tx)).toBe(true);
      const token = fakeToken();
      const id = await storeSecret(tx, token);
      const [row] = await tx`select name from vault.secrets where id = ${id}`;
      expect(row.name).toMatch(/^spendlane:/);
      const [mine] = await tx`select count(*)::int as n from private.token_vault where id = ${id}`;
      expect(mine.n).toBe(0);
      expect(await readSecret(tx, id)).toBe(token);
      expect(await rotateVaultKeys(tx)).toEqual({ rotated: 0 });
      await deleteSecret(tx, id);
      await expect(readSecret(tx, id)).rejects.toThrow(/not found/);
    });
  });
});
