import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/node_modules/", "**/dist/", "docs/", "**/.bench-out/", ".tmp/", ".node22/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-empty-object-type": "off",
      "@typescript-eslint/ban-ts-comment": ["error", { "ts-expect-error": "allow-with-description", minimumDescriptionLength: 3 }],
      "require-yield": "off",
      // Effect-style `declare namespace` for types that belong to a model.
      "@typescript-eslint/no-namespace": ["error", { allowDeclarations: true }]
    }
  },
  {
    // The shared core is Effect-free: both Effect lines (3 and 4) build on it.
    files: ["packages/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [{ group: ["effect", "effect/*", "@effect/*"], message: "packages/core is Effect-free: both Effect lines use it." }]
      }]
    }
  },
  {
    // The example app (what `npm start` and the benchmark serve) and the
    // library import Effect's modules by path: a package's index loads every
    // module it lists, and `@effect/platform`'s holds its Swagger UI and
    // Scalar pages, about 20 MB of strings, for the process's life.
    // quickstart.ts mirrors the README, written as users write it.
    files: ["examples/**/*.ts", "src/**/*.ts", "packages/effect4/src/**/*.ts", "packages/effect4/examples/**/*.ts"],
    ignores: ["examples/quickstart.ts", "examples/outbound.ts", "examples/upstream.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: ["effect", "@effect/platform", "@effect/platform-node", "@effect/sql", "@effect/sql-pg"].map((name) => ({
          name,
          message: `import each module by its path ("${name}/<Module>"), not from the package's index: see docs/benchmarks.md, "The example app's imports".`
        }))
      }]
    }
  }
)
