/**
 * Markdown for the benchmark's results: one summary row per run and a
 * criterion-by-run acceptance matrix. Pure string building, unit-tested.
 */
import type { Check, Figures } from "./load/acceptance.js"
import type { ProcessSummary } from "./procstat.js"

/** Everything measured in one run. */
export interface RunReport {
  /** e.g. `postgres-with-150`. */
  readonly id: string
  readonly database: "postgres" | "embedded"
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
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "–")
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : "–")

/** A short label for a run, e.g. "PostgreSQL, with limiting, peak 150" (", unpinned" when it was). */
export const label = (r: Pick<RunReport, "database" | "limiting" | "peak" | "pinned">): string =>
  `${r.database === "postgres" ? "PostgreSQL" : "embedded"}, ${r.limiting ? "with" : "without"} limiting, peak ${r.peak}` +
  (r.pinned || r.database !== "postgres" ? "" : ", unpinned")

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
