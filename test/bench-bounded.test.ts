import { ConfigProvider, Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import * as AppConfig from "../examples/AppConfig.js"
import type { Figures } from "../bench/load/acceptance.js"
import { spikeCost } from "../bench/load/spike-cost.js"
import { limitingOf, modeEnv, parseAlgorithm, parseModes } from "../bench/overload/modes.js"
import {
  adaptiveHeading,
  adaptiveSection,
  adaptiveTable,
  label,
  type MessagesFigures,
  queueBoundHeading,
  queueBoundSection,
  queueBoundTable,
  type RunReport,
  summaryTable
} from "../bench/overload/report.js"
import { capacityOf, medianCapacity } from "../bench/load/capacity.js"
import { adaptiveLimit } from "../examples/DbCapacity.js"
import { row } from "./utils/secondRow.js"


describe("bench modes", () => {
  it("parses --modes, refusing unknown, empty and repeated modes", () => {
    expect(parseModes("with,without")).toEqual(["with", "without"])
    expect(parseModes(" with , bounded ")).toEqual(["with", "bounded"])
    expect(parseModes("with,without,bounded")).toEqual(["with", "without", "bounded"])
    expect(() => parseModes("with,limited")).toThrow(/unknown mode "limited"/)
    expect(() => parseModes("")).toThrow(/no mode/)
    expect(() => parseModes("with,with")).toThrow(/repeated/)
  })

  it("sets the queue bounds to 2 × the capacities in bounded runs only, and removes them otherwise", () => {
    const capacities = { db: 5, fs: 10 }
    expect(modeEnv("bounded", capacities)).toEqual({
      LIMITER_ENABLED: "true",
      DB_CONCURRENCY: "5",
      DB_LIMIT: undefined,
      DB_MAX_WAITING: "10",
      FS_MAX_WAITING: "20"
    })
    expect(modeEnv("bounded", { db: 7, fs: 10 }).DB_MAX_WAITING).toBe("14")
    // Present but undefined: startServer deletes them from the inherited environment.
    const withEnv = modeEnv("with", capacities)
    expect(withEnv).toEqual({
      LIMITER_ENABLED: "true",
      DB_CONCURRENCY: "5",
      DB_LIMIT: undefined,
      DB_MAX_WAITING: undefined,
      FS_MAX_WAITING: undefined
    })
    expect(Object.keys(withEnv)).toContain("DB_MAX_WAITING")
    expect(modeEnv("without", capacities)).toEqual({
      LIMITER_ENABLED: "false",
      DB_CONCURRENCY: "5",
      DB_LIMIT: undefined,
      DB_MAX_WAITING: undefined,
      FS_MAX_WAITING: undefined
    })
    expect([limitingOf("with"), limitingOf("without"), limitingOf("bounded"), limitingOf("adaptive")])
      .toEqual([true, false, true, true])
  })

  it("makes Db adaptive from 100 in adaptive runs only, with the algorithm asked for", () => {
    const capacities = { db: 5, fs: 10 }
    expect(modeEnv("adaptive", capacities)).toEqual({
      LIMITER_ENABLED: "true",
      DB_CONCURRENCY: "100",
      DB_LIMIT: "gradient2",
      DB_MAX_WAITING: undefined,
      FS_MAX_WAITING: undefined
    })
    expect(modeEnv("adaptive", capacities, "vegas").DB_LIMIT).toBe("vegas")
    expect(parseAlgorithm("aimd")).toBe("aimd")
    expect(() => parseAlgorithm("bbr")).toThrow(/unknown algorithm "bbr"/)
    expect(parseModes("with,adaptive")).toEqual(["with", "adaptive"])
  })

  it("reaches the example's config: a bounded run's variables are read, absent is unbounded", () => {
    const read = (env: Record<string, string | undefined>) => {
      const defined = Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)
      const both = Effect.all([AppConfig.dbMaxWaiting, AppConfig.fsMaxWaiting]).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(defined))),
        Effect.either
      )
      return Effect.runSync(both)
    }
    expect(read(modeEnv("bounded", { db: 5, fs: 10 }))).toEqual(Either.right([10, 20]))
    expect(read(modeEnv("with", { db: 5, fs: 10 }))).toEqual(Either.right([Infinity, Infinity]))
    expect(read({ DB_MAX_WAITING: "0" })).toEqual(Either.right([0, Infinity]))
    for (const bad of ["-1", "1.5", "many", "9007199254740993"]) {
      const result = read({ FS_MAX_WAITING: bad })
      expect(Either.isLeft(result), bad).toBe(true)
      expect(String(Either.isLeft(result) ? result.left : ""), bad).toContain("FS_MAX_WAITING")
    }
  })
})

describe("bench spike cost", () => {
  it("sums the server's CPU and /messages' 503s over acceptance's spike window", () => {
    // Spike 5–10 s, limiter timeout 2 s: seconds 5..11.
    const rows = Array.from({ length: 20 }, (_, t) => [
      row(t, "/messages", { busy: t >= 4 && t <= 12 ? 10 : 0 }),
      row(t, "/file", { busy: 100 })
    ]).flat()
    const samples = Array.from({ length: 20 }, (_, t) => ({ t, serverCpuPct: t === 6 ? Number.NaN : 50 }))
    const cost = spikeCost({ rows, samples, spike: { startMs: 5000, endMs: 10_000 }, limiterTimeoutMs: 2000 })
    // Seven seconds, one sample unreadable: six samples of 500 ms.
    expect(cost).toEqual({ seconds: 6, serverCpuMs: 3000, busy: 70 })
    const rounded = spikeCost({ rows, samples, spike: { startMs: 5500, endMs: 9200 }, limiterTimeoutMs: 1500 })
    // floor(5.5) = 5 to ceil(9.2) + ceil(1.5) = 12, exclusive.
    expect(rounded.busy).toBe(70)
  })
})

const figures = (over: Partial<Figures> = {}): Figures => ({
  fileBaseline: 1000,
  fileMinRatio: 0.5,
  fileMinRatioAt: 40,
  fileSpikeMedianRatio: 0.7,
  fileSecondsBelow: 10,
  fileSpikeSeconds: 63,
  fileBaselineSecondsBelow: 3,
  fileBaselineSeconds: 28,
  fileP99Before: 12,
  fileP99Spike: 20,
  fileFailures: 0,
  messagesBaseline: 6,
  messagesAfter: 6,
  messagesOk: 800,
  messagesBusy: 16_000,
  messagesTimeouts: 0,
  messagesErrors: 0,
  busyP99Ms: 2100,
  busyMaxMs: 2300,
  recoveryS: 1,
  serverPeakRssMb: 200,
  ...over
})

const report = (over: Partial<RunReport>): RunReport => ({
  id: "postgres-with-600",
  database: "postgres",
  mode: "with",
  limiting: true,
  peak: 600,
  pinned: true,
  pass: 1,
  figures: figures(),
  checks: [],
  process: {
    serverPeakRssMb: 200,
    serverMeanCpuPct: 80,
    serverMaxCpuPct: 100,
    generatorMeanCpuPct: 20,
    generatorMaxCpuPct: 40,
    generatorLoopMaxP99Ms: 5,
    machineMeanCpuPct: 90,
    dbMeanCpuPct: 100
  },
  generatorRps: 1000,
  chart: "docs/bench/bounded/x.svg",
  csv: "docs/bench/bounded/x.csv",
  spikeCost: { seconds: 63, serverCpuMs: 50_000, busy: 16_000 },
  ...over
})

const bounded = (over: Partial<RunReport> = {}) =>
  report({
    id: "postgres-bounded-600",
    mode: "bounded",
    figures: figures({ fileSpikeMedianRatio: 0.9, messagesBusy: 20_000, busyP99Ms: 5 }),
    spikeCost: { seconds: 63, serverCpuMs: 40_000, busy: 20_000 },
    ...over
  })

describe("bench queue-bound report", () => {
  it("labels the three modes, leaving with and without as they were", () => {
    expect(label(report({}))).toBe("PostgreSQL, with limiting, peak 600")
    expect(label(report({ mode: "without", limiting: false }))).toBe("PostgreSQL, without limiting, peak 600")
    expect(label(bounded())).toBe("PostgreSQL, with limiting, queue bound 2×capacity, peak 600")
    expect(label(bounded({ pinned: false }))).toBe("PostgreSQL, with limiting, queue bound 2×capacity, peak 600, unpinned")
    expect(summaryTable([bounded()])).toContain("| PostgreSQL, with limiting, queue bound 2×capacity, peak 600 | 1000 → 500 ")
  })

  it("puts bounded beside with for one pass, with the ratio bounded ÷ with", () => {
    const table = queueBoundTable([report({}), report({ mode: "without", limiting: false }), bounded()], 600)
    expect(table.split("\n")).toEqual([
      "| Peak 600, pass 1 | with | bounded | bounded ÷ with |",
      "| --- | --- | --- | --- |",
      "| /file median spike second (req/s) | 700 | 900 | 1.29× |",
      "| /file median spike second, share of its pre-spike median (the acceptance figure) | 70 % | 90 % | 1.29× |",
      "| server CPU over the spike window (s) | 50.0 | 40.0 | 0.80× |",
      "| /messages 503s in the spike window | 16000 | 20000 | 1.25× |",
      "| server CPU per 503 (ms, gross) | 3.13 | 2.00 | 0.64× |",
      "| /messages 503 p99 (ms) | 2100 | 5 | 0.0024× |",
      "| /messages 2xx | 800 | 800 | 1.00× |"
    ])
  })

  it("takes the median over the passes where both ran and lists each pass", () => {
    const runs = [
      report({ pass: 1 }),
      bounded({ pass: 1 }),
      report({ pass: 2, spikeCost: { seconds: 63, serverCpuMs: 60_000, busy: 16_000 } }),
      bounded({ pass: 2, spikeCost: { seconds: 63, serverCpuMs: 30_000, busy: 20_000 } }),
      report({ pass: 3, spikeCost: { seconds: 63, serverCpuMs: 70_000, busy: 16_000 } }),
      // Pass 4 has no bounded run: left out.
      report({ pass: 4, spikeCost: { seconds: 63, serverCpuMs: 1, busy: 16_000 } }),
      bounded({ pass: 3, spikeCost: { seconds: 63, serverCpuMs: 50_000, busy: 20_000 } })
    ]
    const lines = queueBoundTable(runs, 600).split("\n")
    expect(lines[0]).toBe("| Peak 600, median of passes 1, 2, 3 | with | bounded | bounded ÷ with |")
    expect(lines).toContain("| server CPU over the spike window (s) | 60.0 (50.0 · 60.0 · 70.0) | 40.0 (40.0 · 30.0 · 50.0) | 0.67× |")
  })

  it("shows – where a figure is missing: no spike cost, no 503", () => {
    const lines = queueBoundTable(
      [report({ spikeCost: undefined }), bounded({ figures: figures({ messagesBusy: 0 }), spikeCost: { seconds: 63, serverCpuMs: 1, busy: 0 } })],
      600
    ).split("\n")
    expect(lines).toContain("| server CPU per 503 (ms, gross) | – | – | – |")
    expect(lines).toContain("| /messages 503 p99 (ms) | 2100 | – | – |")
    expect(lines).toContain("| server CPU over the spike window (s) | – | 0.0 | – |")
  })

  it("has a section per peak with both modes, and none without bounded runs", () => {
    expect(queueBoundSection([report({}), report({ mode: "without", limiting: false })])).toBe("")
    expect(queueBoundTable([report({})], 600)).toBe("")
    // Bounded at 150 has no with to compare with; 600 has both.
    const section = queueBoundSection([bounded({ peak: 150 }), report({}), bounded()])
    expect(section.startsWith(`${queueBoundHeading}\n`)).toBe(true)
    expect(queueBoundHeading).toBe("### Queue bound (maxWaiting = 2 × capacity)")
    expect(section).toContain("| Peak 600, pass 1 |")
    expect(section).not.toContain("Peak 150")
  })
})

const messages = (over: Partial<MessagesFigures> = {}): MessagesFigures => ({
  okPerSecond: { before: 19, spike: 18, after: 19 },
  okP50Ms: 600,
  okP99Ms: 2300,
  capacity: { before: 5, spike: 5, after: 5, min: 5, max: 5 },
  ...over
})

const adaptiveRun = (pass: number, over: Partial<RunReport> = {}) =>
  report({
    id: "postgres-adaptive-600",
    mode: "adaptive",
    pass,
    figures: figures({ messagesOk: 780 + pass }),
    messages: messages({ okP99Ms: 2400, capacity: { before: 6, spike: 7, after: 7, min: 1, max: 100 } }),
    ...over
  })

describe("bench adaptive report", () => {
  it("reads the Db capacity from a Prometheus text", () => {
    const text = [
      "# HELP limiter_capacity The permits a resource may have in use at once.",
      'limiter_capacity{resource="Fs"} 10',
      'limiter_capacity{otel_scope_name="effect",resource="Db"} 7 1700000000000',
      'limiter_limit{resource="Db",algorithm="windowed(gradient2)"} 7'
    ].join("\n")
    expect(capacityOf(text, "Db")).toBe(7) // the value, not the timestamp
    expect(capacityOf(text.replace(" 1700000000000", ""), "Db")).toBe(7)
    expect(capacityOf(text, "Fs")).toBe(10)
    expect(capacityOf(text, "Api")).toBeUndefined()
    expect(medianCapacity([{ t: 0.5, capacity: 100 }, { t: 2, capacity: 1 }, { t: 3, capacity: 3 }, { t: 9, capacity: 6 }], 2, 9)).toBe(2)
    expect(medianCapacity([], 0, 1)).toBeNaN()
  })

  it("puts adaptive beside the fixed 5 for every pass both ran, with the ratio adaptive ÷ fixed 5", () => {
    const runs = [1, 2, 3].flatMap((pass) => [report({ pass, messages: messages() }), adaptiveRun(pass)])
    expect(label(adaptiveRun(1))).toBe("PostgreSQL, with limiting, Db adaptive from 100, peak 600")
    const table = adaptiveTable(runs, 600)
    expect(table).toContain("| Peak 600, median of passes 1, 2, 3 | fixed 5 | adaptive | adaptive ÷ fixed 5 |")
    // 2xx: fixed 800 in every pass, adaptive 781 · 782 · 783: median 782, 0.98×
    expect(table).toContain("| /messages 2xx (the target: adaptive ≥ 95 % of fixed) | 800 (800 · 800 · 800) | 782 (781 · 782 · 783) | 0.98× |")
    expect(table).toContain("| /messages 2xx p99 (ms) (the target: adaptive ≤ 1.2 × fixed) | 2300 (2300 · 2300 · 2300) | 2400 (2400 · 2400 · 2400) | 1.04× |")
    expect(table).toContain("| Db capacity, highest sample | 5 (5 · 5 · 5) | 100 (100 · 100 · 100) | 20.00× |")
    // A pass without an adaptive run, or runs without the figures, are left out.
    expect(adaptiveTable([report({ pass: 4, messages: messages() }), ...runs], 600)).toContain("median of passes 1, 2, 3")
    expect(adaptiveTable([report({}), adaptiveRun(1, { messages: undefined })], 600)).toBe("")
    const section = adaptiveSection(runs)
    expect(section.startsWith(adaptiveHeading)).toBe(true)
    expect(adaptiveSection([report({})])).toBe("")
  })
})

describe("the example's DB_LIMIT", () => {
  const read = (env: Record<string, string>) =>
    Effect.runSync(AppConfig.dbLimit.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either))

  it("is fixed by default, one of the algorithms when asked, and refused by name otherwise", () => {
    expect(read({})).toEqual(Either.right("fixed"))
    expect(read({ DB_LIMIT: "vegas" })).toEqual(Either.right("vegas"))
    const bad = read({ DB_LIMIT: "bbr" })
    expect(Either.isLeft(bad)).toBe(true)
    expect(String(Either.isLeft(bad) ? bad.left : "")).toContain("DB_LIMIT")
  })

  it("builds each adaptive limit from its initial, between 1 and 200", () => {
    for (const algorithm of ["gradient2", "vegas", "aimd"] as const) {
      const limit = adaptiveLimit(algorithm, 100, 500)
      expect([limit.min, limit.max, limit.limitOf(limit.initial)], algorithm).toEqual([1, 200, 100])
    }
    expect(adaptiveLimit("gradient2", 100, 500).name).toBe("windowed(gradient2)")
  })
})
