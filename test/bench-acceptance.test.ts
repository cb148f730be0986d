import { describe, expect, it } from "vitest"
import { evaluate } from "../bench/load/acceptance.js"
import type { SecondRow } from "../bench/load/aggregate.js"
import { acceptanceTable, replaceBetween, type RunReport, summaryTable } from "../bench/report.js"

const row = (t: number, endpoint: string, over: Partial<SecondRow> = {}): SecondRow => ({
  t,
  endpoint,
  vus: 10,
  requests: 0,
  ok: 0,
  busy: 0,
  timeouts: 0,
  errors: 0,
  p50: 1,
  p95: 1,
  p99: 1,
  max: 1,
  busyMax: Number.NaN,
  ...over
})

/** 20 s: spike from 5 s to 10 s, file at 100/s, messages at 20/s. */
const run = (tweak: (t: number, endpoint: string) => Partial<SecondRow> = () => ({})) =>
  Array.from({ length: 20 }, (_, t) => [
    row(t, "/messages", { requests: 20, ok: 20, ...tweak(t, "/messages") }),
    row(t, "/file", { requests: 100, ok: 100, ...tweak(t, "/file") })
  ]).flat()

const grade = (rows: ReadonlyArray<SecondRow>, rss = 100) =>
  evaluate({ rows, spike: { startMs: 5000, endMs: 10_000 }, limiterTimeoutMs: 2000, serverPeakRssMb: rss })

const failing = (rows: ReadonlyArray<SecondRow>, rss?: number) =>
  grade(rows, rss).checks.filter((c) => !c.pass).map((c) => c.id)

describe("bench acceptance", () => {
  it("passes a clean run", () => {
    const { checks, figures } = grade(run())
    expect(checks.every((c) => c.pass)).toBe(true)
    expect(figures.fileBaseline).toBe(100)
    expect(figures.recoveryS).toBe(1)
  })

  it("fails /file below 90 % in any spike second, including the drain after it", () => {
    expect(failing(run((t, e) => (e === "/file" && t === 7 ? { requests: 89, ok: 89 } : {})))).toEqual(["file-throughput"])
    expect(failing(run((t, e) => (e === "/file" && t === 7 ? { requests: 90, ok: 90 } : {})))).toEqual([])
    // 10 s + one 2 s limiter timeout: second 11 is still graded, 12 is not.
    expect(failing(run((t, e) => (e === "/file" && t === 11 ? { ok: 0 } : {})))).toEqual(["file-throughput"])
    expect(failing(run((t, e) => (e === "/file" && t === 12 ? { ok: 0 } : {})))).toEqual([])
    const dips = grade(run((t, e) => (e === "/file" && (t === 3 || t === 7 || t === 8) ? { ok: 50 } : {}))).figures
    expect([dips.fileSecondsBelow, dips.fileSpikeSeconds, dips.fileBaselineSecondsBelow, dips.fileBaselineSeconds])
      .toEqual([2, 7, 1, 3])
    expect(dips.fileSpikeMedianRatio).toBe(1)
    // Warm-up seconds 0 and 1 are not part of the baseline.
    expect(grade(run((t, e) => (e === "/file" && t < 2 ? { ok: 1 } : {}))).figures.fileBaseline).toBe(100)
  })

  it("fails on any /file error, /messages error, timeout or late 503", () => {
    expect(failing(run((t, e) => (e === "/file" && t === 15 ? { timeouts: 1 } : {})))).toEqual(["file-errors"])
    expect(failing(run((t, e) => (e === "/messages" && t === 15 ? { errors: 1 } : {})))).toEqual(["messages-statuses"])
    expect(failing(run((t, e) => (e === "/messages" && t === 15 ? { timeouts: 1 } : {})))).toEqual(["messages-timeouts"])
    expect(failing(run((t, e) => (e === "/messages" && t === 8 ? { busy: 5, busyMax: 2100 } : {})))).toEqual([])
    expect(failing(run((t, e) => (e === "/messages" && t === 8 ? { busy: 5, busyMax: 2101 } : {})))).toEqual([
      "messages-503-prompt"
    ])
  })

  it("measures recovery from the spike's end and fails when it is slow or never", () => {
    const slow = (n: number) => run((t, e) => (e === "/messages" && t >= 10 && t < 10 + n ? { ok: 5 } : {}))
    expect(grade(slow(0)).figures.recoveryS).toBe(1)
    // One slow second: the 5-second mean from the spike's end is 17/s, from the next second 20/s.
    expect(grade(slow(1)).figures.recoveryS).toBe(2)
    expect(failing(slow(1))).toEqual([])
    expect(grade(slow(2)).figures.recoveryS).toBe(3)
    expect(failing(slow(2))).toEqual(["recovery"])
    expect(grade(slow(10)).figures.recoveryS).toBeNaN()
  })

  it("is not fooled by one lucky second, nor defeated by ±1 jitter", () => {
    const lucky = run((t, e) => (e === "/messages" && t >= 10 ? { ok: t === 10 ? 20 : t < 14 ? 4 : 20 } : {}))
    expect(grade(lucky).figures.recoveryS).toBe(5)
    const jitter = run((t, e) => (e === "/messages" && t >= 10 ? { ok: t % 2 === 0 ? 17 : 20 } : {}))
    expect(grade(jitter).figures.recoveryS).toBe(1)
  })

  it("fails a peak RSS of 300 MB or more", () => {
    expect(failing(run(), 299.9)).toEqual([])
    expect(failing(run(), 300)).toEqual(["rss"])
  })

  it("renders the summary and acceptance tables and replaces a marked block", () => {
    const { checks, figures } = grade(run())
    const report: RunReport = {
      id: "postgres-with-150",
      database: "postgres",
      limiting: true,
      peak: 150,
      figures,
      checks,
      process: {
        serverPeakRssMb: 100,
        serverMeanCpuPct: 50,
        serverMaxCpuPct: 90,
        generatorMeanCpuPct: 10,
        generatorMaxCpuPct: 20,
        generatorLoopMaxP99Ms: 5,
        machineMeanCpuPct: 80,
        dbMeanCpuPct: 60
      },
      generatorRps: 120,
      chart: "docs/bench/x.svg",
      csv: "docs/bench/x.csv"
    }
    const summary = summaryTable([report])
    expect(summary).toContain("| PostgreSQL, with limiting, peak 150 | 100 → 100 (100 %; median 100 %) |")
    expect(summary).toContain("| 7/7 |")
    expect(acceptanceTable([report]).split("\n")).toHaveLength(2 + checks.length)
    const doc = "# T\n\nprose\n<!-- s:start -->\nold\n<!-- s:end -->\nmore prose\n"
    expect(replaceBetween(doc, "s", "new")).toBe("# T\n\nprose\n<!-- s:start -->\nnew\n<!-- s:end -->\nmore prose\n")
    expect(replaceBetween("# T\n", "s", "new")).toBe("# T\n\n<!-- s:start -->\nnew\n<!-- s:end -->\n")
  })
})
