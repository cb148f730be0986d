/**
 * The overload benchmark's `--baseline <git-ref>`: the example server built
 * a second time, as it was at that ref — its `examples/` app over its
 * library's `src/` (the benchmark itself stays the current one) — and run
 * alternated with the current build in the same invocation, so that a
 * before/after comparison shares the machine, the database and the minute
 * it ran in. The memory benchmarks take only the ref's `src/`: their
 * scripts live in `bench/`.
 *
 * The ref's `src/` and `examples/` are taken with `git archive` into a
 * scratch directory (no worktree to clean up, nothing of the current
 * checkout touched).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { median } from "../load/aggregate.js"
import { buildServer } from "../shared/build.js"
import type { RunReport } from "./report.js"

/** The library's sources at a ref, ready for `buildServer`'s `librarySrc`. */
export interface Baseline {
  readonly ref: string
  /** The commit the ref named when the run started. */
  readonly commit: string
  /** The extracted `src/` directory. */
  readonly librarySrc: string
  /** The extracted example server's entry (`examples/server.ts`). */
  readonly exampleServer: string
}

/** Extracts `src/` and `examples/` at `ref` under `scratchDir`; throws with git's own message for an unknown ref. */
export const prepareBaseline = (ref: string, scratchDir: string): Baseline => {
  let commit: string
  try {
    commit = execFileSync("git", ["rev-parse", "--verify", `${ref}^{commit}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? ""
    throw new Error(`--baseline: ${ref} is not a commit of this repository (${stderr})`)
  }
  const dir = path.resolve(scratchDir, `baseline-${commit.slice(0, 12)}`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const archive = execFileSync("git", ["archive", "--format=tar", commit, "src", "examples"], { maxBuffer: 256 * 2 ** 20 })
  execFileSync("tar", ["-x", "-C", dir], { input: archive })
  return { ref, commit, librarySrc: path.join(dir, "src"), exampleServer: path.join(dir, "examples/server.ts") }
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "–")
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : "–")

/** One figure of the comparison: how to read it from a run, and how to print it. */
interface Column {
  readonly title: string
  readonly of: (r: RunReport) => number
  readonly show: (x: number) => string
}

const columns: ReadonlyArray<Column> = [
  { title: "/file spike median", of: (r) => r.figures.fileSpikeMedianRatio, show: pct },
  { title: "/file worst second", of: (r) => r.figures.fileMinRatio, show: pct },
  { title: "/file p99 worst spike second (ms)", of: (r) => r.fileP99WorstSecondMs ?? Number.NaN, show: f0 },
  { title: "slowest 503 (ms)", of: (r) => r.figures.busyMaxMs, show: f0 },
  { title: "server loop p99 worst spike second (ms)", of: (r) => r.server?.loopP99SpikeWorstMs ?? Number.NaN, show: f0 },
  { title: "GC ms per spike second (median / worst)", of: (r) => r.server?.gcPerSpikeSecondMedianMs ?? Number.NaN, show: f0 },
  { title: "server main thread waiting for a CPU, ms per spike second (median)", of: (r) => r.starved?.medianMs ?? Number.NaN, show: f0 },
  { title: "peak RSS (MB)", of: (r) => r.process.serverPeakRssMb, show: f0 }
]

/** The median over passes and, with more than one pass, the range. */
const cell = (runs: ReadonlyArray<RunReport>, column: Column): string => {
  const values = runs.map(column.of).filter(Number.isFinite)
  if (values.length === 0) return "–"
  const mid = column.show(median(values))
  const worstGc = column.title.startsWith("GC")
    ? ` / ${f0(Math.max(...runs.map((r) => r.server?.gcPerSpikeSecondWorstMs ?? Number.NaN).filter(Number.isFinite)))}`
    : ""
  return values.length === 1
    ? mid + worstGc
    : `${mid}${worstGc} (${column.show(Math.min(...values))}–${column.show(Math.max(...values))})`
}

/** A server script built from this checkout, and from `--baseline`'s library when given. */
export interface Build {
  readonly name: string
  readonly entry: string
}

/**
 * `script` built against the baseline's library (first, when `ref` is given)
 * and against this checkout's, each into `.bench-out/<outName>[-baseline]`.
 */
export const buildsWithBaseline = async (
  outName: string,
  script: string,
  ref: string | undefined
): Promise<Array<Build>> => {
  const builds: Array<Build> = []
  if (ref !== undefined) {
    const baseline = prepareBaseline(ref, ".bench-out")
    const built = await buildServer(`.bench-out/${outName}-baseline`, script, baseline.librarySrc)
    builds.push({ name: `${baseline.ref} (${baseline.commit.slice(0, 7)})`, entry: built.entry })
  }
  builds.push({ name: "this checkout", entry: (await buildServer(`.bench-out/${outName}`, script)).entry })
  return builds
}

/** One group of rows of a side-by-side table: its name, and which runs it takes. */
export interface Variant {
  readonly name: string
  readonly of: (r: RunReport) => boolean
}

/**
 * Variants side by side, per peak and mode, one row each: medians over the
 * passes (ranges in brackets). `title` heads the variants' column.
 */
export const variantsTable = (runs: ReadonlyArray<RunReport>, variants: ReadonlyArray<Variant>, title: string): string => {
  const header = ["Peak, mode", title, ...columns.map((c) => c.title)]
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`]
  const keys = [...new Set(runs.map((r) => `${r.peak}\u0000${r.mode}`))]
  for (const key of keys) {
    const [peak, mode] = key.split("\u0000") as [string, string]
    for (const variant of variants) {
      const mine = runs.filter((r) => String(r.peak) === peak && r.mode === mode && variant.of(r))
      if (mine.length === 0) continue
      lines.push(`| ${peak}, ${mode} | ${variant.name} | ${columns.map((c) => cell(mine, c)).join(" | ")} |`)
    }
  }
  return lines.join("\n")
}

/**
 * Current build against the baseline, per peak and mode: medians over the
 * passes (ranges in brackets). Empty when no run was a baseline run.
 */
export const baselineTable = (runs: ReadonlyArray<RunReport>, baseline: Baseline | undefined): string => {
  if (baseline === undefined || !runs.some((r) => r.build === "baseline")) return ""
  return variantsTable(runs, [
    { name: `${baseline.ref} (${baseline.commit.slice(0, 7)})`, of: (r) => r.build === "baseline" },
    { name: "this checkout", of: (r) => (r.build ?? "current") === "current" }
  ], "Library")
}
