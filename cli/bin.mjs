#!/usr/bin/env node
// The `spendlane` command: runs the TypeScript CLI through tsx, so no build step is needed.
import { register } from "tsx/esm/api";
import { fileURLToPath } from "node:url";
import path from "node:path";

import fs from "node:fs";

process.chdir(path.resolve(path.dirname(fileURLToPath(import.meta.url)), ".."));
if (fs.existsSync(".env")) process.loadEnvFile(".env");
register();
await import("./index.ts");
