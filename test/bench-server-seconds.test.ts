import { describe, expect, it } from "vitest"
import { chartSpec } from "../bench/overload/chart.js"
import { secondsFromCsv, secondsToCsv, serverSecondsFromCsv } from "../bench/load/csv.js"
import { serverFigures, serverSecondsFromProbe } from "../bench/load/server-seconds.js"
import { row } from "./utils/secondRow.js"

const wallSecond0 = 1_800_000_000

/** One line of the probe's file for run second `t`. */
const probeLine = (t: number, loopP99Ms: number, gcPauseMs: number) =>
  JSON.stringify({
    t: t + 3,
    second: wallSecond0 + t,
    at: (wallSecond0 + t + 1) * 1000 + 5,
    loopP50Ms: 1,
    loopP99Ms,
    loopMaxMs: loopP99Ms + 10,
    cpuPct: 50,
    heapUsedMb: 40 + t,
    heapTotalMb: 80,
    rssMb: 150,
    majorGcs: 0,
    heapAfterGcMb: null,
    gcCount: 2,
    gcPauseMs,
    gcMaxPauseMs: gcPauseMs / 2,
    scavengeMs: gcPauseMs * 0.75,
    externalMb: 6,
    arrayBuffersMb: 2,
    spacesMb: { new_space: 16, old_space: 50 + t, code_space: 4, large_object_space: 1 }
  })

describe("the server's seconds (probe)", () => {
  it("places the probe's wall-clock seconds on the run's clock, leaving out seconds outside the run and torn lines", () => {
    const text = [probeLine(-1, 99, 9), probeLine(1, 20, 8), probeLine(0, 10, 4), "{\"second\":", probeLine(5, 1, 1)].join("\n")
    const seconds = serverSecondsFromProbe(text, wallSecond0, 5)
    expect(seconds.map((s) => [s.t, s.loopP99Ms, s.loopMaxMs, s.gcPauseMs, s.scavengeMs, s.heapUsedMb])).toEqual([
      [0, 10, 20, 4, 3, 40],
      [1, 20, 30, 8, 6, 41]
    ])
  })

  it("an older probe line without GC or memory figures reads as no sample, not zero", () => {
    const old = JSON.stringify({ second: wallSecond0, loopP50Ms: 1, loopP99Ms: 2, loopMaxMs: 3, heapUsedMb: 4 })
    const [second] = serverSecondsFromProbe(old, wallSecond0, 1)
    expect(second?.gcPauseMs).toBeNaN()
    expect(second?.gcCount).toBeNaN()
    expect(second?.newSpaceMb).toBeNaN()
    expect(second?.externalMb).toBeNaN()
  })

  it("reads where the memory sits: RSS, the heap reserved, the young and old spaces, and external", () => {
    const [second] = serverSecondsFromProbe(probeLine(2, 10, 4), wallSecond0, 5)
    expect(second).toMatchObject({ rssMb: 150, heapTotalMb: 80, newSpaceMb: 16, oldSpaceMb: 52, externalMb: 6 })
  })

  it("joins the server's columns onto every endpoint's row of the CSV, and reads them back once per second", () => {
    const server = serverSecondsFromProbe([probeLine(0, 10, 4), probeLine(1, 20, 8)].join("\n"), wallSecond0, 3)
    const rows = [0, 1, 2].flatMap((t) => [row(t, "/messages", { requests: t }), row(t, "/file", { requests: 100 + t })])
    const csv = secondsToCsv(rows, server)
    const [header, first] = csv.split("\n")
    expect(header).toBe(
      "t,endpoint,vus,requests,ok,busy,timeouts,errors,p50,p95,p99,max,busyMax," +
        "loopP50Ms,loopP99Ms,loopMaxMs,gcCount,gcPauseMs,gcMaxPauseMs,scavengeMs,heapUsedMb," +
        "rssMb,heapTotalMb,newSpaceMb,oldSpaceMb,externalMb"
    )
    expect(first).toBe("0,/messages,10,0,0,0,0,0,1,1,1,1,,1,10,20,2,4,2,3,40,150,80,16,50,6")
    // Second 2 has no probe line: empty cells, and no server second read back.
    expect(csv.split("\n")[6]).toBe("2,/file,10,102,0,0,0,0,1,1,1,1,,,,,,,,,,,,,,")
    expect(secondsFromCsv(csv)).toEqual(rows)
    expect(serverSecondsFromCsv(csv)).toEqual(server)
    // A CSV from before the probe has no server seconds.
    expect(serverSecondsFromCsv(secondsToCsv(rows))).toEqual([])
  })

  it("sums up the spike window: loop p99 before and during, seconds over 50 ms, GC per spike second", () => {
    // Spike from 4 s to 6 s; with a 2 s limiter timeout the window is [4, 8).
    const lines = [
      probeLine(2, 5, 10),
      probeLine(3, 7, 20),
      probeLine(4, 60, 100),
      probeLine(5, 30, 40),
      probeLine(6, 80, 200),
      probeLine(7, 10, 60),
      probeLine(8, 500, 900)
    ]
    const figures = serverFigures(serverSecondsFromProbe(lines.join("\n"), wallSecond0, 10), { startMs: 4000, endMs: 6000 }, 2000)
    expect(figures).toEqual({
      loopP99BeforeMs: 6,
      loopP99SpikeMedianMs: 45,
      loopP99SpikeWorstMs: 80,
      loopMaxSpikeMs: 90,
      spikeSecondsOver50Ms: 2,
      spikeSeconds: 4,
      gcPerSpikeSecondMedianMs: 80,
      gcPerSpikeSecondWorstMs: 200,
      gcMaxPauseSpikeMs: 100,
      scavengeShare: 0.75
    })
  })

  it("the chart has the server's panel only when there are server seconds", () => {
    const rows = [row(0, "/messages"), row(0, "/file")]
    const panels = (spec: ReturnType<typeof chartSpec>) => ("vconcat" in spec ? spec.vconcat.length : 0)
    const server = serverSecondsFromProbe(probeLine(0, 10, 4), wallSecond0, 1)
    expect(panels(chartSpec(rows, "t"))).toBe(2)
    expect(panels(chartSpec(rows, "t", [], server))).toBe(3)
  })
})
