/**
 * `--db-sweep`: the overload benchmark also runs `with` at other fixed `Db`
 * capacities, in the same passes (alternated with the modes), so that an
 * adaptive limit is compared with the best fixed capacity of the run rather
 * than with one chosen by hand. Pure: tested without a server.
 */
import { median } from "../load/aggregate.js"
import type { RunReport } from "./report.js"

/** Parses `--db-sweep`, e.g. "3,8,12": distinct positive integers. */
export const parseSweep = (text: string | undefined): ReadonlyArray<number> => {
  if (text === undefined) return []
  const values = text.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number)
  for (const v of values) {
    if (!(Number.isSafeInteger(v) && v >= 1)) throw new Error(`--db-sweep: "${text}" is not a list of positive integers`)
  }
  if (new Set(values).size !== values.length) throw new Error(`--db-sweep: a capacity is repeated in "${text}"`)
  return values
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "-")
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "-")

/**
 * Per peak: `/messages` 2xx and 2xx p99 (medians over the passes) and the
 * `/file` spike ratio, for every fixed capacity (the sweep's and the run's
 * `--db-concurrency`) and for `adaptive`; then the best fixed capacity (the
 * most `/messages` 2xx) and adaptive against it (targets: ≥ 0.95 × its 2xx,
 * ≤ 1.2 × its p99). Empty without sweep runs.
 */
export const sweepSection = (runs: ReadonlyArray<RunReport>, dbConcurrency: number): string => {
  if (!runs.some((r) => r.sweep !== undefined)) return ""
  const lines = ["### Fixed Db capacities swept in the same passes, against adaptive", ""]
  for (const peak of [...new Set(runs.map((r) => r.peak))]) {
    const at = runs.filter((r) => r.peak === peak && (r.mode === "with" || r.mode === "adaptive"))
    const keyOf = (r: RunReport) => (r.mode === "adaptive" ? "adaptive" : `fixed ${r.sweep ?? dbConcurrency}`)
    const keys = [...new Set(at.map(keyOf))]
    const stats = keys.map((key) => {
      const rs = at.filter((r) => keyOf(r) === key)
      return {
        key,
        ok: median(rs.map((r) => r.figures.messagesOk)),
        p99: median(rs.map((r) => r.messages?.okP99Ms ?? Number.NaN)),
        file: median(rs.map((r) => r.figures.fileSpikeMedianRatio)),
        passes: rs.length
      }
    })
    lines.push(`Peak ${peak}:`, "", "| Db capacity | passes | /messages 2xx (median) | 2xx p99 ms (median) | /file spike share (median) |", "| --- | --- | --- | --- | --- |")
    for (const s of stats) lines.push(`| ${s.key} | ${s.passes} | ${f0(s.ok)} | ${f0(s.p99)} | ${f2(s.file)} |`)
    const fixed = stats.filter((s) => s.key !== "adaptive")
    const best = fixed.reduce((a, b) => (b.ok > a.ok ? b : a), fixed[0]!)
    const adaptive = stats.find((s) => s.key === "adaptive")
    lines.push(
      "",
      adaptive === undefined
        ? `Best fixed: ${best.key}.`
        : `Best fixed: ${best.key}. Adaptive / best: 2xx ${f2(adaptive.ok / best.ok)} × (target ≥ 0.95), p99 ${f2(adaptive.p99 / best.p99)} × (target ≤ 1.2).`,
      ""
    )
  }
  return lines.join("\n")
}
