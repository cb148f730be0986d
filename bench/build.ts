/**
 * Builds the example server (or another server of the benchmarks, such as
 * `bench/overhead-server.ts`) as plain JavaScript, so that it runs under
 * `node` like a production service rather than through `tsx`, which costs
 * ~100 MB of RSS, a TypeScript loader on every import, and a `__name(...)`
 * call on every closure our code creates (esbuild's keepNames) — per request,
 * in a guard.
 *
 * esbuild bundles only this repository's code (`examples/`, `src/`, imported
 * as `effect-concurrency-limiter`, and `packages/core/src/`, imported as
 * `@effect-concurrency-limiter/core/*`) into one ES module; every
 * package from node_modules stays an external import, resolved by Node from
 * the repository's node_modules as usual. The embedded database's worker
 * (`examples/shared/embedded/worker.mjs`, loaded by URL next to the module) is
 * copied beside the bundle. `npm start` is unaffected: it still uses tsx.
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** Where the build goes, and the entry point to run with `node`. */
export interface Built {
  readonly entry: string
}

export const buildServer = async (
  outDir = ".bench-out/build",
  source = "examples/server.ts",
  /** Where the library's `src/` is taken from: another checkout's, for a before/after comparison. */
  librarySrc = "src"
): Promise<Built> => {
  // esbuild is a devDependency of tsx and vitest; import it lazily so that the
  // rest of the benchmark loads even where it is missing.
  const esbuild = await import("esbuild")
  const root = process.cwd()
  const out = path.resolve(outDir)
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  const entry = path.join(out, "server.mjs")
  await esbuild.build({
    entryPoints: [path.join(root, source)],
    outfile: entry,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [
      {
        name: "own-code-only",
        setup(build) {
          // The library itself, from source (what tsconfig's `paths` does for tsc and tsx).
          build.onResolve({ filter: /^effect-concurrency-limiter(\/.*)?$/ }, (args) => ({
            path: path.join(path.resolve(root, librarySrc), args.path === "effect-concurrency-limiter" ? "index.ts" : `${args.path.slice(27)}.ts`)
          }))
          // The shared core, from source too (its package exports only its build).
          build.onResolve({ filter: /^@effect-concurrency-limiter\/core\/.+$/ }, (args) => ({
            path: path.join(root, "packages/core/src", `${args.path.slice("@effect-concurrency-limiter/core/".length)}.ts`)
          }))
          // Every other bare specifier (a package, or node:*) stays external.
          build.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }))
        }
      }
    ]
  })
  fs.copyFileSync(path.join(root, "examples/shared/embedded/worker.mjs"), path.join(out, "worker.mjs"))
  return { entry }
}

/**
 * Bundles one standalone script of the benchmarks (a preload such as
 * `probe.ts`) to plain JavaScript at `outfile`, packages left external: a
 * server under plain `node` can then `--import` it without tsx.
 */
export const buildScript = async (source: string, outfile: string): Promise<string> => {
  const esbuild = await import("esbuild")
  const out = path.resolve(outfile)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  await esbuild.build({
    entryPoints: [path.resolve(source)],
    outfile: out,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning"
  })
  return out
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { entry } = await buildServer(process.argv[2])
  console.log(`built ${path.relative(process.cwd(), entry)}`)
}
