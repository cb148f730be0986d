import { describe, expect, it } from "vitest"
import { Aggregator, classifyStatus, median, percentile } from "../bench/load/aggregate.js"
import { secondsFromCsv, secondsToCsv } from "../bench/load/csv.js"

describe("bench aggregation", () => {
  it("percentile is nearest-rank", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 95)).toBe(95)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile(xs, 100)).toBe(100)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([1, 2, 3], 50)).toBe(2)
    expect(percentile([], 50)).toBeNaN()
  })

  it("median of odd and even lengths, unsorted input", () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })

  it("classifies statuses", () => {
    expect(classifyStatus(200)).toBe("ok")
    expect(classifyStatus(204)).toBe("ok")
    expect(classifyStatus(503)).toBe("busy")
    expect(classifyStatus(500)).toBe("error")
    expect(classifyStatus(400)).toBe("error")
  })

  it("buckets by completion second, per endpoint, and flushes only finished seconds", () => {
    const agg = new Aggregator(["/messages", "/file"])
    agg.sampleVUs("/messages", 100, 10)
    agg.sampleVUs("/file", 100, 2)
    agg.record("/messages", 200, 150, "ok")
    agg.record("/messages", 900, 2001, "busy")
    agg.record("/messages", 950, 2050, "busy")
    agg.record("/messages", 999, 6000, "timeout")
    agg.record("/file", 500, 3, "ok")
    agg.record("/messages", 1000, 10, "error") // second 1
    expect(agg.flush(999)).toEqual([])
    const rows = agg.flush(1000)
    expect(rows).toHaveLength(2)
    const [m, f] = rows
    expect(m).toMatchObject({ t: 0, endpoint: "/messages", vus: 10, requests: 4, ok: 1, busy: 2, timeouts: 1, errors: 0 })
    expect(m!.busyMax).toBe(2050)
    expect(m!.p50).toBe(2001)
    expect(m!.max).toBe(6000)
    expect(f).toMatchObject({ t: 0, endpoint: "/file", vus: 2, requests: 1, ok: 1, p99: 3 })
    expect(f!.busyMax).toBeNaN()
    // Seconds without traffic still produce rows, with the last VU count.
    const later = agg.flush(3000)
    expect(later.map((r) => [r.t, r.endpoint, r.requests, r.vus])).toEqual([
      [1, "/messages", 1, 10],
      [1, "/file", 0, 2],
      [2, "/messages", 0, 10],
      [2, "/file", 0, 2]
    ])
    expect(later[2]!.p50).toBeNaN()
    expect(agg.allRows()).toHaveLength(6)
  })

  it("round-trips rows through CSV", () => {
    const agg = new Aggregator(["/messages"])
    agg.sampleVUs("/messages", 0, 3)
    agg.record("/messages", 10, 12.34, "ok")
    agg.record("/messages", 20, 2000.5, "busy")
    const rows = agg.flush(1000)
    const csv = secondsToCsv(rows)
    expect(csv.split("\n")[0]).toBe("t,endpoint,vus,requests,ok,busy,timeouts,errors,p50,p95,p99,max,busyMax")
    const back = secondsFromCsv(csv)
    expect(back[0]).toMatchObject({ t: 0, endpoint: "/messages", vus: 3, requests: 2, ok: 1, busy: 1 })
    expect(back[0]!.p50).toBeCloseTo(12.3, 1)
    expect(back[0]!.busyMax).toBeCloseTo(2000.5, 1)
  })
})
