/**
 * Markdown for the benchmark's results: one summary row per run and a
 * criterion-by-run acceptance matrix. Pure string building, unit-tested.
 */
import type { Check, Figures } from "../load/acceptance.js"
import { median } from "../load/aggregate.js"
import type { SpikeCost } from "../load/spike-cost.js"
import { type Line, lineName } from "./lines.js"
import type { Mode } from "./modes.js"
import type { ProcessSummary } from "../shared/procstat.js"
import type { ServerFigures } from "../load/server-seconds.js"

/** Everything measured in one run. */
export interface RunReport {
  /** e.g. `postgres-with-150`, `postgres-bounded-600`. */
  readonly id: string
  readonly database: "postgres" | "embedded"
  readonly mode: Mode
  /** Whether the limiter was on (`with` and `bounded`); kept for readers of results.json. */
  readonly limiting: boolean
  readonly peak: number
  /** Whether the database ran on a core of its own (taskset). */
  readonly pinned: boolean
  /** Which pass of the invocation (1-based). */
  readonly pass: number
  readonly figures: Figures
  readonly checks: ReadonlyArray<Check>
  readonly process: ProcessSummary
  /** Requests per second the generator completed over the run, all endpoints. */
  readonly generatorRps: number
  readonly chart: string
  readonly csv: string
  /** The "other errors" by kind, per endpoint. */
  readonly errorKinds?: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** The server's CPU and 503s over the spike window (runs from before it was measured lack it). */
  readonly spikeCost?: SpikeCost | undefined
  /** /messages' 2xx rates and latencies, and the Db capacity (runs from before they were measured lack them). */
  readonly messages?: MessagesFigures | undefined
  /** A `--db-sweep` run: `with` at this fixed `Db` capacity (left out of the other tables). */
  readonly sweep?: number | undefined
  /** The server's event-loop delay and GC over the spike, from its probe (runs from before it was measured lack them). */
  readonly server?: ServerFigures | undefined
  /** /file's worst per-second p99 over the spike window, ms. */
  readonly fileP99WorstSecondMs?: number | undefined
  /** Which library build served the run: this checkout's, or `--baseline`'s (absent: this checkout). */
  readonly build?: "current" | "baseline" | undefined
  /** Which Effect line's example served the run (`--line`, `--lines`); absent in runs from before there were two. */
  readonly line?: Line | undefined
  /** The server's main thread per spike second: ms waiting for a CPU (median, worst), ms on one (median). */
  readonly starved?:
    | { readonly medianMs: number; readonly worstMs: number; readonly runMedianMs: number; readonly preemptionsMedian: number }
    | undefined
}

/** Before the spike, over acceptance's spike window, and after it. */
export interface Windows {
  readonly before: number
  readonly spike: number
  readonly after: number
}

/** How /messages fared, as the adaptive mode is judged. */
export interface MessagesFigures {
  /** The median second's 2xx count in each window. */
  readonly okPerSecond: Windows
  /** The 2xx latencies over the whole run (ms). */
  readonly okP50Ms: number
  readonly okP99Ms: number
  /** The Db capacity's median in each window, and its range; NaN without samples. */
  readonly capacity: Windows & { readonly min: number; readonly max: number }
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "–")
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : "–")
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–")
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "–")

const modeLabels: Record<Mode, string> = {
  with: "with limiting",
  without: "without limiting",
  bounded: "with limiting, queue bound 2×capacity",
  adaptive: "with limiting, Db adaptive from 100"
}

/**
 * A short label for a run, e.g. "PostgreSQL, with limiting, peak 150" (", unpinned" when it was);
 * a `bounded` run: "PostgreSQL, with limiting, queue bound 2×capacity, peak 600"; then its
 * line, when known: "embedded, with limiting, peak 600, Effect 4".
 */
export const label = (r: Pick<RunReport, "database" | "mode" | "peak" | "pinned"> & Pick<Partial<RunReport>, "build" | "line">): string =>
  `${r.database === "postgres" ? "PostgreSQL" : "embedded"}, ${modeLabels[r.mode]}, peak ${r.peak}` +
  (r.pinned || r.database !== "postgres" ? "" : ", unpinned") +
  (r.build === "baseline" ? ", baseline library" : "") +
  (r.line === undefined ? "" : `, ${lineName(r.line)}`)

/** The summary table: one row per run. */
export const summaryTable = (runs: ReadonlyArray<RunReport>): string => {
  const header = [
    "Run",
    "/file req/s before → worst spike second (spike median)",
    "/file p99 before → spike (ms)",
    "/file failures",
    "/messages 2xx",
    "503",
    "client timeouts",
    "other errors",
    "503 p99 / slowest (ms)",
    "/messages recovery",
    "server peak RSS (MB)",
    "server CPU mean",
    "generator CPU mean / max",
    "acceptance"
  ]
  const lines = runs.map((r) => {
    const passed = r.checks.filter((c) => c.pass).length
    return [
      label(r),
      `${f0(r.figures.fileBaseline)} → ${f0(r.figures.fileBaseline * r.figures.fileMinRatio)} ` +
      `(${pct(r.figures.fileMinRatio)}; median ${pct(r.figures.fileSpikeMedianRatio)})`,
      `${f0(r.figures.fileP99Before)} → ${f0(r.figures.fileP99Spike)}`,
      String(r.figures.fileFailures),
      String(r.figures.messagesOk),
      String(r.figures.messagesBusy),
      String(r.figures.messagesTimeouts),
      String(r.figures.messagesErrors),
      r.figures.messagesBusy === 0 ? "–" : `${f0(r.figures.busyP99Ms)} / ${f0(r.figures.busyMaxMs)}`,
      Number.isNaN(r.figures.recoveryS) ? "never" : `${r.figures.recoveryS} s`,
      f0(r.process.serverPeakRssMb),
      `${f0(r.process.serverMeanCpuPct)} %`,
      `${f0(r.process.generatorMeanCpuPct)} % / ${f0(r.process.generatorMaxCpuPct)} %`,
      `${passed}/${r.checks.length}`
    ]
  })
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
}

/** The acceptance matrix: one row per criterion, one column per run. */
export const acceptanceTable = (runs: ReadonlyArray<RunReport>): string => {
  if (runs.length === 0) return ""
  const header = ["Criterion", ...runs.map(label)]
  const lines = runs[0]!.checks.map((check, i) => [
    check.criterion,
    ...runs.map((r) => {
      const c = r.checks[i]!
      return `${c.pass ? "✅" : "❌"} ${c.value}`
    })
  ])
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
}

/**
 * Every pass at once: one row per criterion, one column per kind of run
 * (database, mode, peak, pinning), each cell the passes' marks and figures
 * in pass order, e.g. "✅✅❌ 96 % of 1204/s · 97 % … · 88 % …".
 */
export const passesTable = (runs: ReadonlyArray<RunReport>): string => {
  if (runs.length === 0) return ""
  const kinds = [...new Set(runs.map(label))]
  const byKind = (kind: string) => runs.filter((r) => label(r) === kind).sort((a, b) => a.pass - b.pass)
  const header = ["Criterion", ...kinds]
  const lines = runs[0]!.checks.map((check, i) => [
    check.criterion,
    ...kinds.map((kind) => {
      const passes = byKind(kind)
      return `${passes.map((r) => (r.checks[i]!.pass ? "✅" : "❌")).join("")} ${passes.map((r) => r.checks[i]!.value).join(" · ")}`
    })
  ])
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
}

/** The heading of {@link queueBoundSection}. */
export const queueBoundHeading = "### Queue bound (maxWaiting = 2 × capacity)"

/** A figure of a side-by-side table: its name, how to read it from a run, how to print it. */
type Figure = readonly [name: string, get: (r: RunReport) => number, format: (x: number) => string]

/**
 * `mode` against `with`, side by side, for one peak: one row per figure,
 * each cell the median over the passes where both modes ran (each pass's
 * value in parentheses when there are several), and the ratio of the
 * medians. Empty when the runs hold no such pair at that peak. `labels`
 * name the two columns.
 */
const sideBySide = (
  runs: ReadonlyArray<RunReport>,
  peak: number,
  mode: Mode,
  labels: readonly [base: string, other: string],
  figures: ReadonlyArray<Figure>
): string => {
  const at = (m: Mode) => runs.filter((r) => r.mode === m && r.peak === peak)
  const passes = [...new Set(at("with").map((r) => r.pass))]
    .filter((p) => at(mode).some((r) => r.pass === p))
    .sort((a, b) => a - b)
  if (passes.length === 0) return ""
  const pick = (m: Mode) => passes.map((p) => at(m).find((r) => r.pass === p)!)
  const baseRuns = pick("with")
  const otherRuns = pick(mode)
  const cell = (rs: ReadonlyArray<RunReport>, get: (r: RunReport) => number, fmt: (x: number) => string) => {
    const m = median(rs.map(get).filter(Number.isFinite))
    return rs.length > 1 ? `${fmt(m)} (${rs.map((r) => fmt(get(r))).join(" · ")})` : fmt(m)
  }
  const ratio = (get: (r: RunReport) => number) => {
    const r = median(otherRuns.map(get).filter(Number.isFinite)) / median(baseRuns.map(get).filter(Number.isFinite))
    // Two decimals, or two significant digits below 0.1 (a 503 p99 of 5 ms against 2,100 ms).
    return Number.isFinite(r) ? `${r >= 0.1 || r === 0 ? r.toFixed(2) : r.toPrecision(2)}×` : "–"
  }
  const header = [
    `Peak ${peak}${passes.length > 1 ? `, median of passes ${passes.join(", ")}` : `, pass ${passes[0]}`}`,
    labels[0],
    labels[1],
    `${labels[1]} ÷ ${labels[0]}`
  ]
  const lines = figures.map(([name, get, fmt]) => [name, cell(baseRuns, get, fmt), cell(otherRuns, get, fmt), ratio(get)])
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
}

const perBusy = (c: SpikeCost | undefined) => (c === undefined || c.busy === 0 ? Number.NaN : c.serverCpuMs / c.busy)

/** `bounded` against `with`, side by side, for one peak (see {@link sideBySide}). */
export const queueBoundTable = (runs: ReadonlyArray<RunReport>, peak: number): string =>
  sideBySide(runs, peak, "bounded", ["with", "bounded"], [
    ["/file median spike second (req/s)", (r) => r.figures.fileBaseline * r.figures.fileSpikeMedianRatio, f0],
    ["/file median spike second, share of its pre-spike median (the acceptance figure)", (r) => r.figures.fileSpikeMedianRatio, pct],
    ["server CPU over the spike window (s)", (r) => (r.spikeCost?.serverCpuMs ?? Number.NaN) / 1000, f1],
    ["/messages 503s in the spike window", (r) => r.spikeCost?.busy ?? Number.NaN, f0],
    ["server CPU per 503 (ms, gross)", (r) => perBusy(r.spikeCost), f2],
    ["/messages 503 p99 (ms)", (r) => (r.figures.messagesBusy === 0 ? Number.NaN : r.figures.busyP99Ms), f0],
    ["/messages 2xx", (r) => r.figures.messagesOk, f0]
  ])

/**
 * A section of the summary: a heading, what it compares, and one table per
 * peak that `table` makes; empty when it makes none, so a summary without
 * such runs is unchanged.
 */
const section = (
  runs: ReadonlyArray<RunReport>,
  heading: string,
  text: string,
  table: (runs: ReadonlyArray<RunReport>, peak: number) => string
): string => {
  const tables = [...new Set(runs.map((r) => r.peak))]
    .sort((a, b) => a - b)
    .map((peak) => table(runs, peak))
    .filter((t) => t !== "")
  return tables.length === 0 ? "" : [heading, "", text, "", tables.join("\n\n")].join("\n")
}

/** The queue bound's section of the summary: one table per peak where both `with` and `bounded` ran. */
export const queueBoundSection = (runs: ReadonlyArray<RunReport>): string =>
  section(
    runs,
    queueBoundHeading,
    "`bounded`: the limiter with `DB_MAX_WAITING` and `FS_MAX_WAITING` at 2 × the capacities, against `with` (unbounded " +
      "queues) in the same passes. The /file figure is the acceptance's (median of its spike seconds, the spike plus one " +
      "limiter timeout). Server CPU is its utime + stime from /proc over that window — gross: it includes /file and the " +
      "200s, and nothing is subtracted — and per 503 it divides by the 503s answered in the window.",
    queueBoundTable
  )

/** Replaces the text between two marker comments, or appends the block when they are missing. */
export const replaceBetween = (document: string, marker: string, body: string): string => {
  const start = `<!-- ${marker}:start -->`
  const end = `<!-- ${marker}:end -->`
  const block = `${start}\n${body.trim()}\n${end}`
  const from = document.indexOf(start)
  const to = document.indexOf(end)
  if (from < 0 || to < from) return `${document.trimEnd()}\n\n${block}\n`
  return document.slice(0, from) + block + document.slice(to + end.length)
}

/** The heading of {@link adaptiveSection}. */
export const adaptiveHeading = "### Adaptive Db capacity (started at 100) against the fixed 5"

/**
 * `adaptive` against `with` (Db fixed at 5), side by side, for one peak (see
 * {@link sideBySide}); runs from before the /messages figures were measured
 * are left out.
 */
export const adaptiveTable = (runs: ReadonlyArray<RunReport>, peak: number): string => {
  const m = (r: RunReport) => r.messages!
  return sideBySide(runs.filter((r) => r.messages !== undefined), peak, "adaptive", ["fixed 5", "adaptive"], [
    ["/messages 2xx (the target: adaptive ≥ 95 % of fixed)", (r) => r.figures.messagesOk, f0],
    ["/messages 2xx/s, median second before the spike", (r) => m(r).okPerSecond.before, f1],
    ["/messages 2xx/s, median second of the spike window", (r) => m(r).okPerSecond.spike, f1],
    ["/messages 2xx/s, median second after it", (r) => m(r).okPerSecond.after, f1],
    ["/messages 2xx p50 (ms)", (r) => m(r).okP50Ms, f0],
    ["/messages 2xx p99 (ms) (the target: adaptive ≤ 1.2 × fixed)", (r) => m(r).okP99Ms, f0],
    ["/messages 503s", (r) => r.figures.messagesBusy, f0],
    ["/messages timeouts + errors", (r) => r.figures.messagesTimeouts + r.figures.messagesErrors, f0],
    ["/file median spike second, share of its pre-spike median", (r) => r.figures.fileSpikeMedianRatio, pct],
    ["criteria met (of the acceptance's)", (r) => r.checks.filter((c) => c.pass).length, f0],
    ["Db capacity, median before the spike", (r) => m(r).capacity.before, f1],
    ["Db capacity, median of the spike window", (r) => m(r).capacity.spike, f1],
    ["Db capacity, median after it", (r) => m(r).capacity.after, f1],
    ["Db capacity, lowest sample", (r) => m(r).capacity.min, f0],
    ["Db capacity, highest sample", (r) => m(r).capacity.max, f0]
  ])
}

/** The adaptive mode's section of the summary: one table per peak where both `with` and `adaptive` ran. */
export const adaptiveSection = (runs: ReadonlyArray<RunReport>): string =>
  section(
    runs,
    adaptiveHeading,
    "`adaptive`: `Db`'s capacity an adaptive limit (`DB_LIMIT`, examples/DbCapacity.ts) started at 100, against `with` " +
      "(`Db` fixed at 5, the number the published runs chose by hand) in the same passes. 2xx per second: the median " +
      "second before the spike, over acceptance's spike window (the spike plus one limiter timeout), and after it. " +
      "Latencies: every 2xx of the run. The Db capacity is `limiter_capacity` scraped from `/metrics` every second.",
    adaptiveTable
  )
