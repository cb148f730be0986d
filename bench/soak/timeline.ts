/**
 * The soak's per-second timeline: what the load generator saw, what /proc
 * says of the server and what the server's probe (`bench/shared/probe.ts`) wrote,
 * on one clock (seconds since the soak started), and the per-spike summary
 * taken from it.
 */
import { latenciesBetween, percentile, type SecondRow } from "../load/aggregate.js"
import type { RunResult } from "../load/runner.js"
import type { ProcessSample } from "../shared/procstat.js"

/** One line of the probe's JSONL file, per second. */
export interface ProbeSecond {
  /** The whole wall-clock second (Unix time, s) the line describes. */
  readonly second: number
  readonly loopP50Ms: number
  readonly loopP99Ms: number
  readonly loopMaxMs: number
  readonly heapUsedMb: number
  readonly majorGcs: number
  readonly heapAfterGcMb: number | null
}

/** One line of the probe's file written after a forced full GC. */
export interface ProbeFullGc {
  readonly event: "full-gc"
  readonly at: number
  readonly heapUsedMb: number
}

/** Parses the probe's JSONL file; a line cut short by a concurrent write is skipped. */
export const parseProbe = (text: string): { seconds: Array<ProbeSecond>; fullGcs: Array<ProbeFullGc> } => {
  const seconds: Array<ProbeSecond> = []
  const fullGcs: Array<ProbeFullGc> = []
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    let value: Record<string, unknown>
    try {
      value = JSON.parse(line)
    } catch {
      continue
    }
    if (value.event === "full-gc") fullGcs.push(value as unknown as ProbeFullGc)
    else if (typeof value.second === "number") seconds.push(value as unknown as ProbeSecond)
  }
  return { seconds, fullGcs }
}

/** One spike's load run, placed on the soak's clock. */
export interface SpikeRun {
  /** 1-based. */
  readonly spike: number
  /** The soak second the spike's load started in. */
  readonly startS: number
  /** The soak second its spike window (ramp, peak, drop) ended in: the tail follows. */
  readonly tailS: number
  /** The first soak second after its load (drain included). */
  readonly endS: number
  readonly result: RunResult
  /** Heap used after the full GC that followed it, MiB (NaN when the probe did not answer). */
  readonly heapAfterGcMb: number
  /** The server's RSS just after that full GC, with no load: what it kept, MiB. */
  readonly settledRssMb: number
}

/** One second of the soak. NaN is "no sample". */
export interface SoakSecond {
  readonly t: number
  /** The spike whose load ran in this second, 0 between spikes. */
  readonly spike: number
  readonly rssMb: number
  readonly cpuPct: number
  /** `heapUsed` at the end of the second (garbage included). */
  readonly heapUsedMb: number
  /** Heap left by the latest major GC of the second (NaN if none ran). */
  readonly heapAfterGcMb: number
  /** Heap left by a forced full GC in this second, between spikes (NaN otherwise). */
  readonly heapAfterFullGcMb: number
  readonly loopP50Ms: number
  readonly loopP99Ms: number
  readonly loopMaxMs: number
  /** Requests completed in the second, every endpoint. */
  readonly requests: number
  /** 2xx responses (the example answers only 200). */
  readonly ok: number
  /** 503 responses. */
  readonly busy: number
  /** Timeouts, connection errors and any other status. */
  readonly other: number
}

/**
 * The sample that covers second `t`: its own, or else the next one. Both
 * samplers tick just after each whole second; a tick later than a second
 * (its process stalled, as on a loaded machine) is stamped with the second
 * it fires in and covers every second since the previous tick, so those
 * seconds take its figures (CPU averaged over the interval, the heap and RSS
 * at its end, the event-loop delay of the whole interval, stall included).
 */
const covering = <A>(at: ReadonlyMap<number, A>, t: number, last: number): A | undefined => {
  for (let s = t; s <= last; s++) {
    const sample = at.get(s)
    if (sample !== undefined) return sample
  }
  return undefined
}

/**
 * Merges the sources second by second over `[0, seconds)`. `wallT0` is the
 * wall-clock time (ms) soak second 0 started at; the probe's lines, which
 * describe whole wall-clock seconds, land on the soak second that started in
 * the same wall-clock second (less than a second apart). A second that a late
 * tick skipped takes that tick's figures (see `covering`).
 */
export const buildTimeline = (options: {
  readonly seconds: number
  readonly wallT0: number
  readonly process: ReadonlyArray<ProcessSample>
  readonly probe: ReadonlyArray<ProbeSecond>
  readonly fullGcs: ReadonlyArray<ProbeFullGc>
  readonly spikes: ReadonlyArray<SpikeRun>
}): Array<SoakSecond> => {
  const wallSecond0 = Math.floor(options.wallT0 / 1000)
  const probeAt = new Map(options.probe.map((p) => [p.second - wallSecond0, p]))
  const fullGcAt = new Map(options.fullGcs.map((g) => [Math.floor((g.at - options.wallT0) / 1000), g]))
  const processAt = new Map(options.process.map((p) => [p.t, p]))
  const loadAt = new Map<number, Array<SecondRow>>()
  const spikeAt = new Map<number, number>()
  for (const run of options.spikes) {
    for (const row of run.result.rows) {
      const t = run.startS + row.t
      loadAt.set(t, [...(loadAt.get(t) ?? []), row])
    }
    for (let t = run.startS; t < run.endS; t++) spikeAt.set(t, run.spike)
  }
  const lastProbe = Math.max(-1, ...probeAt.keys())
  const lastProcess = Math.max(-1, ...processAt.keys())
  return Array.from({ length: options.seconds }, (_, t): SoakSecond => {
    const probe = covering(probeAt, t, lastProbe)
    const proc = covering(processAt, t, lastProcess)
    const rows = loadAt.get(t) ?? []
    const sum = (f: (r: SecondRow) => number) => rows.reduce((a, r) => a + f(r), 0)
    return {
      t,
      spike: spikeAt.get(t) ?? 0,
      rssMb: proc?.serverRssMb ?? Number.NaN,
      cpuPct: proc?.serverCpuPct ?? Number.NaN,
      heapUsedMb: probe?.heapUsedMb ?? Number.NaN,
      heapAfterGcMb: probe?.heapAfterGcMb ?? Number.NaN,
      heapAfterFullGcMb: fullGcAt.get(t)?.heapUsedMb ?? Number.NaN,
      loopP50Ms: probe?.loopP50Ms ?? Number.NaN,
      loopP99Ms: probe?.loopP99Ms ?? Number.NaN,
      loopMaxMs: probe?.loopMaxMs ?? Number.NaN,
      requests: sum((r) => r.requests),
      ok: sum((r) => r.ok),
      busy: sum((r) => r.busy),
      other: sum((r) => r.timeouts + r.errors)
    }
  })
}

/** One row of the per-spike table. */
export interface SpikeSummary {
  readonly spike: number
  readonly requests: number
  readonly ok200: number
  readonly busy503: number
  readonly other: number
  /** Latency of /messages' 200s, ms. */
  readonly messagesP50Ms: number
  readonly messagesP99Ms: number
  readonly rssPeakMb: number
  /** After the full GC that followed the spike, no load. */
  readonly rssSettledMb: number
  /** After the full GC that followed the spike. */
  readonly heapAfterGcMb: number
  /** The least heap a major GC left during the tail (a cross-check of the forced GC's figure; NaN if none ran). */
  readonly tailMinHeapAfterGcMb: number
  readonly loopP99MaxMs: number
  readonly cpuMeanPct: number
}

/** The statuses of a spike over every endpoint. */
export const spikeStatuses = (run: SpikeRun): Record<string, number> => {
  const total: Record<string, number> = {}
  for (const counts of Object.values(run.result.statuses)) {
    for (const [status, n] of Object.entries(counts)) total[status] = (total[status] ?? 0) + n
  }
  return total
}

const finite = (values: ReadonlyArray<number>) => values.filter(Number.isFinite)
const maxOf = (values: ReadonlyArray<number>) => (finite(values).length === 0 ? Number.NaN : Math.max(...finite(values)))
const minOf = (values: ReadonlyArray<number>) => (finite(values).length === 0 ? Number.NaN : Math.min(...finite(values)))
const meanOf = (values: ReadonlyArray<number>) =>
  finite(values).length === 0 ? Number.NaN : finite(values).reduce((a, b) => a + b, 0) / finite(values).length

/** The per-spike table, from the spikes' runs and the timeline. */
export const summarizeSpikes = (spikes: ReadonlyArray<SpikeRun>, timeline: ReadonlyArray<SoakSecond>): Array<SpikeSummary> =>
  spikes.map((run) => {
    const statuses = spikeStatuses(run)
    const seconds = timeline.filter((s) => s.spike === run.spike)
    const tail = seconds.filter((s) => s.t >= run.tailS)
    const ok = latenciesBetween(run.result.latencies["/messages"]?.ok, 0, Number.POSITIVE_INFINITY)
    const ok200 = statuses["200"] ?? 0
    const busy503 = statuses["503"] ?? 0
    const requests = Object.values(statuses).reduce((a, n) => a + n, 0)
    return {
      spike: run.spike,
      requests,
      ok200,
      busy503,
      other: requests - ok200 - busy503,
      messagesP50Ms: percentile(ok, 50),
      messagesP99Ms: percentile(ok, 99),
      rssPeakMb: maxOf(seconds.map((s) => s.rssMb)),
      rssSettledMb: run.settledRssMb,
      heapAfterGcMb: run.heapAfterGcMb,
      tailMinHeapAfterGcMb: minOf(tail.map((s) => s.heapAfterGcMb)),
      loopP99MaxMs: maxOf(seconds.map((s) => s.loopP99Ms)),
      cpuMeanPct: meanOf(seconds.map((s) => s.cpuPct))
    }
  })
