/**
 * The soak's report: the per-spike table and the summary, as Markdown (which
 * reads as well on a terminal), and the CSV files of its samples.
 */
import { toCsv } from "../load/csv.js"
import type { SoakResult } from "./run.js"
import type { SoakSecond, SpikeSummary } from "./timeline.js"

const n = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "–")

/** The per-spike table. */
export const spikeTable = (table: ReadonlyArray<SpikeSummary>): string =>
  [
    "| spike | requests | 200 | 503 | other | /messages 200 p50 / p99 (ms) | RSS peak / settled (MiB) | heap after full GC (MiB) | least heap after a major GC in the tail (MiB) | event-loop p99 max (ms) | CPU mean (%) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...table.map((s) =>
      `| ${s.spike} | ${s.requests} | ${s.ok200} | ${s.busy503} | ${s.other} | ${n(s.messagesP50Ms)} / ${n(s.messagesP99Ms)} | ` +
      `${n(s.rssPeakMb)} / ${n(s.rssSettledMb)} | ${n(s.heapAfterGcMb, 1)} | ${n(s.tailMinHeapAfterGcMb, 1)} | ${n(s.loopP99MaxMs)} | ${n(s.cpuMeanPct)} |`
    )
  ].join("\n")

/** The headline figures and the verdict, one line each. */
export const summaryLines = (result: SoakResult): Array<string> => [
  `Peak RSS ${n(result.process.serverPeakRssMb)} MiB (VmHWM included); settled RSS (after a spike's full GC, no load) ` +
  `${n(result.spikes[0]?.settledRssMb ?? Number.NaN)} MiB after spike 1, ${n(result.settledRssMb)} MiB after spike ${result.spikes.length}.`,
  `Heap after a full GC: ${n(result.startHeapAfterGcMb, 1)} MiB before spike 1, ` +
  `${n(result.spikes[0]?.heapAfterGcMb ?? Number.NaN, 1)} MiB after spike 1, ` +
  `${n(result.spikes[result.spikes.length - 1]?.heapAfterGcMb ?? Number.NaN, 1)} MiB after spike ${result.spikes.length}: ` +
  `growth ${Number.isFinite(result.verdict.heapGrowth) ? `${(result.verdict.heapGrowth * 100).toFixed(1)} %` : "not measured"}.`,
  `Server CPU mean ${n(result.process.serverMeanCpuPct)} %, machine CPU mean ${n(result.process.machineMeanCpuPct)} %, ` +
  `generator CPU mean ${n(result.process.generatorMeanCpuPct)} % (event-loop p99 max ${n(result.process.generatorLoopMaxP99Ms)} ms).`,
  ...result.verdict.checks.map((c) => `${c.pass ? "PASS" : "FAIL"}  ${c.criterion}: ${c.detail}`)
]

const timelineColumns = [
  "t",
  "spike",
  "rssMb",
  "cpuPct",
  "heapUsedMb",
  "heapAfterGcMb",
  "heapAfterFullGcMb",
  "loopP50Ms",
  "loopP99Ms",
  "loopMaxMs",
  "requests",
  "ok",
  "busy",
  "other"
] as const satisfies ReadonlyArray<keyof SoakSecond>

/** The timeline as CSV, one row per second. */
export const timelineCsv = (timeline: ReadonlyArray<SoakSecond>): string =>
  toCsv(timelineColumns, timeline as unknown as ReadonlyArray<Record<string, number>>)

const spikeColumns = [
  "spike",
  "requests",
  "ok200",
  "busy503",
  "other",
  "messagesP50Ms",
  "messagesP99Ms",
  "rssPeakMb",
  "rssSettledMb",
  "heapAfterGcMb",
  "tailMinHeapAfterGcMb",
  "loopP99MaxMs",
  "cpuMeanPct"
] as const satisfies ReadonlyArray<keyof SpikeSummary>

/** The per-spike table as CSV. */
export const spikesCsv = (table: ReadonlyArray<SpikeSummary>): string =>
  toCsv(spikeColumns, table as unknown as ReadonlyArray<Record<string, number>>)
