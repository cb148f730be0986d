/**
 * Builds the example server (or another server of the benchmarks, such as
 * `bench/overhead/server.ts`) as plain JavaScript, so that it runs under
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
 *
 * `buildEffect4Server` does the same for the Effect 4 line's example
 * (`packages/effect4/examples/server.ts`, the library imported as
 * `@effect-concurrency-limiter/effect4` from `packages/effect4/src/`).
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** Where the build goes, and the entry point to run with `node`. */
export interface Built {
  readonly entry: string
}

/** A bare specifier of this repository's own code, and the source file it stands for. */
interface Alias {
  readonly filter: RegExp
  readonly to: (specifier: string) => string
}

/** The shared core, from source too (its package exports only its build). */
const coreAlias = (root: string): Alias => ({
  filter: /^@effect-concurrency-limiter\/core\/.+$/,
  to: (specifier) => path.join(root, "packages/core/src", `${specifier.slice("@effect-concurrency-limiter/core/".length)}.ts`)
})

/** A package name mapped to a `src/` directory: the name itself to its `index.ts`, `name/X` to `X.ts`. */
const packageAlias = (name: string, src: string): Alias => ({
  filter: new RegExp(`^${name.replace(/[/.]/g, "\\$&")}(\\/.*)?$`),
  to: (specifier) => path.join(src, specifier === name ? "index.ts" : `${specifier.slice(name.length + 1)}.ts`)
})

const bundle = async (outDir: string, source: string, aliases: ReadonlyArray<Alias>, target: string): Promise<Built> => {
  // esbuild is a devDependency of tsx and vitest; import it lazily so that the
  // rest of the benchmark loads even where it is missing.
  const esbuild = await import("esbuild")
  const root = process.cwd()
  const out = path.resolve(outDir)
  fs.rmSync(out, { recursive: true, force: true })
  fs.mkdirSync(out, { recursive: true })
  const entry = path.join(out, "server.mjs")
  await esbuild.build({
    entryPoints: [path.resolve(root, source)],
    outfile: entry,
    bundle: true,
    platform: "node",
    format: "esm",
    target,
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [
      {
        name: "own-code-only",
        setup(build) {
          // The library itself, from source (what tsconfig's `paths` does for tsc and tsx).
          for (const alias of aliases) build.onResolve({ filter: alias.filter }, (args) => ({ path: alias.to(args.path) }))
          // Every other bare specifier (a package, or node:*) stays external.
          build.onResolve({ filter: /^[^./]/ }, (args) => ({ path: args.path, external: true }))
        }
      }
    ]
  })
  fs.copyFileSync(path.join(root, "examples/shared/embedded/worker.mjs"), path.join(out, "worker.mjs"))
  return { entry }
}

export const buildServer = (
  outDir = ".bench-out/build",
  source = "examples/server.ts",
  /** Where the library's `src/` is taken from: another checkout's, for a before/after comparison. */
  librarySrc = "src"
): Promise<Built> =>
  bundle(outDir, source, [packageAlias("effect-concurrency-limiter", path.resolve(librarySrc)), coreAlias(process.cwd())], "node20")

/**
 * Builds the Effect 4 line's example server (`packages/effect4/examples/`,
 * the library from `packages/effect4/src/`), to run under Node >= 22.19.
 * The build goes under `packages/effect4/` so that Node resolves its
 * external `effect` and `@effect/*` imports to that package's Effect 4
 * (`packages/effect4/node_modules`), not to the root's Effect 3.
 */
export const buildEffect4Server = (
  outDir = "packages/effect4/.bench-out/build",
  source = "packages/effect4/examples/server.ts"
): Promise<Built> => {
  const root = process.cwd()
  if (path.relative(path.join(root, "packages/effect4"), path.resolve(outDir)).startsWith("..")) {
    throw new Error(`the Effect 4 build must go under packages/effect4/ (got ${outDir}): its imports resolve to Effect 4 there`)
  }
  return bundle(
    outDir,
    source,
    [packageAlias("@effect-concurrency-limiter/effect4", path.join(root, "packages/effect4/src")), coreAlias(root)],
    "node22"
  )
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
  // `tsx bench/shared/build.ts [outDir]`, or `tsx bench/shared/build.ts --effect4 [outDir]`.
  const effect4 = process.argv[2] === "--effect4"
  const { entry } = effect4 ? await buildEffect4Server(process.argv[3]) : await buildServer(process.argv[2])
  console.log(`built ${path.relative(process.cwd(), entry)}`)
}
