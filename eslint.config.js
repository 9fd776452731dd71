// ESLint (flat config): typescript-eslint, React hooks and jsx-a11y over the app, CLI, server,
// emulator, scripts, bench and tests. `npm run lint` (CI) fails on any error.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import jsxA11y from "eslint-plugin-jsx-a11y";
import globals from "globals";

export default tseslint.config(
  { ignores: ["build/", "public/build/", "node_modules/", ".cache/", "data/", "coverage/", "supabase/functions/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node, ...globals.browser } },
    rules: {
      // `_name` marks a deliberately unused parameter or destructured rest sibling.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true, caughtErrors: "none" }],
    },
  },
  {
    files: ["app/**/*.tsx", "app/**/*.ts"],
    plugins: { "react-hooks": reactHooks, "jsx-a11y": jsxA11y },
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // React Compiler rules (plugin v7): we do not run the compiler; the classic hooks rules stay on.
      "react-hooks/set-state-in-effect": "off",
      "react-hooks/refs": "off",
      ...jsxA11y.flatConfigs.recommended.rules,
      // Our form controls are components (components/ui) nested inside their <label>.
      "jsx-a11y/label-has-associated-control": ["error", { controlComponents: ["Select", "Input", "Textarea"], depth: 3 }],
    },
  },
  {
    // Tests and the emulator read untyped JSON from HTTP bodies; the tests' assertions check its shape.
    files: ["tests/**", "emulator/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
