/**
 * Dependency rules for app/ (`npm run lint:deps`, run by CI): imports point one way.
 * - no cycles: a module never reaches itself through its imports (lazy `import()` included);
 * - routes reach the database through the server modules of their concern, never app/.server/db directly;
 * - meta/ (Graph client, vault, token store, OAuth) is a leaf: it imports no other concern's modules.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes start-up order and lazy imports load-bearing; split the shared part out instead.",
      from: {},
      // Type-only imports vanish at runtime: a module may name the type of the object it is handed
      // (the emulator's modules take the Emulator they serve) without that being a load-order cycle.
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "routes-not-to-db",
      severity: "error",
      comment: "Routes stay thin: they call the concern's server module, which owns its queries.",
      from: { path: "^app/routes/" },
      to: { path: "^app/\\.server/db/" },
    },
    {
      name: "meta-is-a-leaf",
      severity: "error",
      comment:
        "meta/ talks to Meta and keeps tokens; it uses only the database, env, logger and errors. Orchestration (attach, then sync) lives in connections/.",
      from: { path: "^app/\\.server/meta/" },
      to: { path: "^app/", pathNot: "^app/\\.server/(meta/|db/|env\\.ts$|logger\\.ts$|errors\\.ts$)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|build)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
