/**
 * The soak (`npm run soak`, issue 13) in short: its verdict on synthetic
 * spikes, its timeline's merge, and a real mini-soak — two spikes of four
 * seconds against the example on the embedded database — through the same
 * code as the ten-minute run.
 */
import { describe, expect, it } from "vitest"
import { runSoak } from "../bench/soak/run.js"
import { buildTimeline, parseProbe } from "../bench/soak/timeline.js"
import { judge, type SpikeOutcome } from "../bench/soak/verdict.js"

const spike = (n: number, heapAfterGcMb: number, statuses: Record<string, number> = { "200": 900, "503": 400 }): SpikeOutcome => ({
  spike: n,
  statuses,
  heapAfterGcMb
})

const failed = (spikes: ReadonlyArray<SpikeOutcome>) =>
  judge(spikes).checks.filter((c) => !c.pass).map((c) => c.criterion)

describe("soak verdict", () => {
  it("passes 9 % heap growth from the first spike to the last, whatever the spikes between", () => {
    const verdict = judge([spike(1, 50), spike(2, 80), spike(3, 54.5)])
    expect(verdict.pass).toBe(true)
    expect(verdict.heapGrowth).toBeCloseTo(0.09, 10)
  })

  it("fails 11 % heap growth", () => {
    expect(failed([spike(1, 50), spike(2, 50), spike(3, 55.5)])).toEqual([
      "heap after GC grew at most 10 % from the first spike to the last"
    ])
  })

  it("fails a missing heap measurement, and a single spike", () => {
    expect(judge([spike(1, 50), spike(2, Number.NaN)]).pass).toBe(false)
    expect(judge([spike(1, Number.NaN), spike(2, 50)]).pass).toBe(false)
    expect(failed([spike(1, 50)])).toEqual(["heap after GC grew at most 10 % from the first spike to the last"])
  })

  it("fails a 500, a timeout or a connection error, naming the spike", () => {
    for (const other of ["HTTP 500", "timeout", "ECONNRESET", "204"]) {
      const verdict = judge([spike(1, 50), spike(2, 50, { "200": 10, "503": 5, [other]: 1 })])
      expect(verdict.pass).toBe(false)
      const check = verdict.checks.find((c) => c.criterion === "every request ended 200 or 503")!
      expect(check.pass).toBe(false)
      expect(check.detail).toBe(`spike 2: 1 × ${other}`)
    }
  })

  it("fails a spike that served only 503s, and no spike at all", () => {
    expect(failed([spike(1, 50), spike(2, 50, { "503": 1000 })])).toEqual(["every spike served 200s"])
    expect(judge([]).pass).toBe(false)
  })
})

describe("soak timeline", () => {
  it("places the probe's wall-clock seconds and full GCs on the soak's clock", () => {
    const wallT0 = 1_700_000_000_400
    const { fullGcs, seconds } = parseProbe(
      [
        `{"second":1700000000,"at":1700000001005,"loopP50Ms":0,"loopP99Ms":3,"loopMaxMs":9,"heapUsedMb":60,"majorGcs":0,"heapAfterGcMb":null}`,
        `{"second":1700000001,"at":1700000002005,"loopP50Ms":1,"loopP99Ms":4,"loopMaxMs":8,"heapUsedMb":70,"majorGcs":1,"heapAfterGcMb":51}`,
        `{"event":"full-gc","at":1700000002500,"heapUsedMb":50}`,
        `{"second":17000` // cut short by a concurrent write
      ].join("\n")
    )
    const timeline = buildTimeline({ seconds: 3, wallT0, process: [], probe: seconds, fullGcs, spikes: [] })
    expect(timeline.map((s) => [s.t, s.loopP99Ms, s.heapAfterGcMb, s.heapAfterFullGcMb])).toEqual([
      [0, 3, Number.NaN, Number.NaN],
      [1, 4, 51, Number.NaN],
      [2, Number.NaN, Number.NaN, 50]
    ])
  })

  it("gives a second that a late tick skipped the figures of that tick, which covers it; none after the last", () => {
    const wallT0 = 1_700_000_000_400
    const probeLine = (second: number, loopMaxMs: number) =>
      `{"second":${1_700_000_000 + second},"at":0,"loopP50Ms":0,"loopP99Ms":${loopMaxMs},"loopMaxMs":${loopMaxMs},"heapUsedMb":${60 + second},"majorGcs":0,"heapAfterGcMb":null}`
    // Both samplers stalled in second 1: their next ticks fired in second 2 (the probe's loop delay shows the stall).
    const { fullGcs, seconds } = parseProbe([probeLine(0, 3), probeLine(2, 1400)].join("\n"))
    const sample = (t: number) => ({
      t,
      serverRssMb: 100 + t,
      serverCpuPct: 10 * t,
      generatorCpuPct: 0,
      machineCpuPct: 0,
      dbCpuPct: 0,
      generatorLoopP99Ms: 0,
      serverMainRunMs: 0,
      serverMainWaitMs: 0,
      serverMainPreemptions: 0
    })
    const timeline = buildTimeline({ seconds: 4, wallT0, process: [sample(0), sample(2)], probe: seconds, fullGcs, spikes: [] })
    expect(timeline.map((s) => [s.t, s.rssMb, s.cpuPct, s.heapUsedMb, s.loopMaxMs])).toEqual([
      [0, 100, 0, 60, 3],
      [1, 102, 20, 62, 1400],
      [2, 102, 20, 62, 1400],
      [3, Number.NaN, Number.NaN, Number.NaN, Number.NaN]
    ])
  })
})

describe("soak, for real", () => {
  it("two short spikes against one server: every second sampled, 200s in both, and a passing verdict", async () => {
    const result = await runSoak({
      spikes: 2,
      peak: 60,
      // The demo's 10/25/1/24 s stages, 1 s each.
      scale: 0.04,
      workDir: ".bench-out/soak-test",
      embeddedRows: 2000
    })
    const why = JSON.stringify({ checks: result.verdict.checks, table: result.table, errors: result.errorKinds })
    expect(result.spikes.length, why).toBe(2)
    // Every second of the soak has /proc's RSS and CPU and the probe's heap and event-loop delay.
    expect(result.timeline.length).toBeGreaterThanOrEqual(8)
    const unsampled = result.timeline.filter((s) =>
      ![s.rssMb, s.cpuPct, s.heapUsedMb, s.loopP99Ms].every(Number.isFinite)
    )
    expect(unsampled.map((s) => s.t), why).toEqual([])
    // Each spike served 200s on both endpoints, and the full GC after it was measured.
    for (const run of result.spikes) {
      expect(run.result.statuses["/messages"]?.["200"] ?? 0, why).toBeGreaterThan(0)
      expect(run.result.statuses["/file"]?.["200"] ?? 0, why).toBeGreaterThan(0)
      expect(Number.isFinite(run.heapAfterGcMb), why).toBe(true)
    }
    expect(result.timeline.filter((s) => Number.isFinite(s.heapAfterFullGcMb)).length).toBeGreaterThanOrEqual(2)
    expect(result.process.serverPeakRssMb).toBeGreaterThan(0)
    // The ten-minute run's verdict, heap bound included. After a forced full
    // GC with the load stopped the heap is what the server keeps (~22 MiB in
    // large-object space, ~31 MiB of other objects, ~2 MiB of compiled code);
    // between two spikes only warm-up adds to it: +0.8 to +1.0 % (0.4 to
    // 0.6 MiB) measured with the load average at 5 to 7 and three extra busy
    // loops, however many requests the loaded machine let each spike serve,
    // against the bound's 10 % (5.5 MiB). The other wall-clock steps are
    // bounded far above what they measure: the full GC's answer (~100 ms)
    // within 10 s, a request (limiter timeout 5 s) within 10 s, and a
    // sampler that stalls past a whole second leaves no gap (see "soak
    // timeline" above).
    expect(result.verdict.pass, why).toBe(true)
  }, 60_000)
})
