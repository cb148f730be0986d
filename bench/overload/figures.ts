/**
 * Figures of one overload run beyond acceptance's criteria, each over
 * acceptance's spike window: the spike plus the limiter's timeout, when the
 * last queued request is answered.
 */
import { latenciesBetween, median, percentile, type SecondRow } from "../load/aggregate.js"
import { type CapacitySample, medianCapacity } from "../load/capacity.js"
import type { RunResult } from "../load/runner.js"
import type { ProcessSample } from "../shared/procstat.js"

/** The spike as the preset places it (ms from the run's start). */
export interface Spike {
  readonly startMs: number
  readonly endMs: number
}

/** The window's whole seconds: from the spike's start until its end plus the limiter's timeout. */
const window = (spike: Spike, limiterTimeoutMs: number) => ({
  startS: Math.floor(spike.startMs / 1000),
  untilS: Math.ceil(spike.endMs / 1000) + Math.ceil(limiterTimeoutMs / 1000)
})

/**
 * The server's main thread over acceptance's spike window: ms per second it
 * was runnable but given no CPU (the run queue), and ms it ran.
 */
export const runQueueWait = (samples: ReadonlyArray<ProcessSample>, spike: Spike, limiterTimeoutMs: number) => {
  const { startS, untilS } = window(spike, limiterTimeoutMs)
  const during = samples.filter((x) => x.t >= startS && x.t < untilS)
  const waits = during.map((x) => x.serverMainWaitMs).filter(Number.isFinite)
  return {
    medianMs: median(waits),
    worstMs: waits.length === 0 ? Number.NaN : Math.max(...waits),
    runMedianMs: median(during.map((x) => x.serverMainRunMs).filter(Number.isFinite)),
    preemptionsMedian: median(during.map((x) => x.serverMainPreemptions).filter(Number.isFinite))
  }
}

/** /file's worst per-second p99 over acceptance's spike window (ms). */
export const fileP99WorstSecond = (rows: ReadonlyArray<SecondRow>, spike: Spike, limiterTimeoutMs: number) => {
  const { startS, untilS } = window(spike, limiterTimeoutMs)
  const p99s = rows.filter((r) => r.endpoint === "/file" && r.t >= startS && r.t < untilS && Number.isFinite(r.p99)).map((r) => r.p99)
  return p99s.length === 0 ? Number.NaN : Math.max(...p99s)
}

/**
 * `/messages` as the adaptive mode is judged: 2xx per second (median of the
 * seconds) before the spike, over acceptance's spike window and after it;
 * the 2xx latencies' p50 and p99 over the whole run; and the `Db` capacity
 * over the same windows.
 */
export const messagesFigures = (
  result: RunResult,
  spike: Spike,
  capacity: ReadonlyArray<CapacitySample>,
  limiterTimeoutMs: number
) => {
  const { startS, untilS } = window(spike, limiterTimeoutMs)
  const rows = result.rows.filter((r) => r.endpoint === "/messages")
  const okMedian = (from: number, until: number) => median(rows.filter((r) => r.t >= from && r.t < until).map((r) => r.ok))
  const ok = latenciesBetween(result.latencies["/messages"]?.ok, 0, Number.POSITIVE_INFINITY)
  const end = rows.length === 0 ? 0 : rows[rows.length - 1]!.t + 1
  return {
    okPerSecond: { before: okMedian(2, startS), spike: okMedian(startS, untilS), after: okMedian(untilS, end) },
    okP50Ms: percentile(ok, 50),
    okP99Ms: percentile(ok, 99),
    capacity: {
      before: medianCapacity(capacity, 2, startS),
      spike: medianCapacity(capacity, startS, untilS),
      after: medianCapacity(capacity, untilS, end),
      min: capacity.length === 0 ? Number.NaN : Math.min(...capacity.map((c) => c.capacity)),
      max: capacity.length === 0 ? Number.NaN : Math.max(...capacity.map((c) => c.capacity))
    }
  }
}
