/** The overload benchmark's live table: one line per second of a run (off with `--quiet`). */
import type { SecondRow } from "../load/aggregate.js"
import type { ProcessSample } from "../shared/procstat.js"

const f = (x: number, width: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "-").padStart(width)

/** The columns of {@link liveLine}. */
export const liveHeader =
  "   t | msg VUs  req/s   2xx   503  t/o  err   p50ms   p95ms | file req/s  p95ms fail | srv CPU  RSS MB |  db CPU | gen CPU"

/** One second: /messages and /file as the generator saw them, and the processes' CPU and RSS. */
export const liveLine = (rows: ReadonlyArray<SecondRow>, proc: ProcessSample | undefined): string => {
  const m = rows.find((r) => r.endpoint === "/messages")
  const file = rows.find((r) => r.endpoint === "/file")
  if (m === undefined || file === undefined) return ""
  return [
    f(m.t, 4),
    " | ",
    f(m.vus, 7),
    f(m.requests, 7),
    f(m.ok, 6),
    f(m.busy, 6),
    f(m.timeouts, 5),
    f(m.errors, 5),
    f(m.p50, 8),
    f(m.p95, 8),
    " | ",
    f(file.requests, 10),
    f(file.p95, 7, 1),
    f(file.busy + file.timeouts + file.errors, 5),
    " | ",
    f(proc?.serverCpuPct ?? Number.NaN, 5),
    " %",
    f(proc?.serverRssMb ?? Number.NaN, 8),
    " | ",
    f(proc?.dbCpuPct ?? Number.NaN, 5),
    " % | ",
    f(proc?.generatorCpuPct ?? Number.NaN, 5),
    " %"
  ].join("")
}
