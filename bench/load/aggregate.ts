/**
 * Per-second, per-endpoint aggregation of request outcomes.
 *
 * A request is counted in the second in which it *completed* (as k6 records
 * `http_req_duration`), so a second is final as soon as the clock has passed
 * its end: that is what lets the runner print a live table.
 */

/** How a request ended, from the client's point of view. */
export type Outcome = "ok" | "busy" | "timeout" | "error"

/** Classifies an HTTP status: 2xx is ok, 503 is busy, anything else an error. */
export const classifyStatus = (status: number): Outcome =>
  status >= 200 && status < 300 ? "ok" : status === 503 ? "busy" : "error"

/** One finished second for one endpoint. Latencies are in milliseconds. */
export interface SecondRow {
  /** Second since the start of the run (bucket `[t, t+1)`). */
  readonly t: number
  readonly endpoint: string
  /** VUs running at the end of the second (including ones finishing a request). */
  readonly vus: number
  readonly requests: number
  readonly ok: number
  readonly busy: number
  readonly timeouts: number
  readonly errors: number
  /** Latency percentiles over every request completed in the second (NaN if none). */
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  /** The slowest 503 of the second (NaN if none): checks "503s are prompt". */
  readonly busyMax: number
}

/**
 * Nearest-rank percentile of an ascending array (NaN when empty).
 * Nearest-rank never invents a latency nobody observed.
 */
export const percentile = (sorted: ArrayLike<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** The median of any array (NaN when empty). */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Bucket {
  latencies: Array<number>
  ok: number
  busy: number
  timeouts: number
  errors: number
  busyMax: number
}

const emptyBucket = (): Bucket => ({ latencies: [], ok: 0, busy: 0, timeouts: 0, errors: 0, busyMax: Number.NaN })

/**
 * Collects outcomes into per-second buckets. `record` and `sampleVUs` are
 * O(1); `flush` turns finished seconds into rows and frees their memory.
 */
/**
 * Every latency of one endpoint and outcome, with the second it completed
 * in: what window percentiles (a spike's p99, the p99 of all 503s) need,
 * which per-second rows cannot give.
 */
export interface LatencyLog {
  readonly seconds: Array<number>
  readonly latencies: Array<number>
}

/** Latency logs by endpoint and outcome, e.g. `logs["/file"]?.ok`. */
export type LatencyLogs = Readonly<Record<string, Partial<Record<Outcome, LatencyLog>>>>

/** The latencies of `log` completed in seconds `[from, until)`, ascending. */
export const latenciesBetween = (log: LatencyLog | undefined, from: number, until: number): Float64Array => {
  if (log === undefined) return new Float64Array(0)
  const picked: Array<number> = []
  for (let i = 0; i < log.seconds.length; i++) {
    const t = log.seconds[i]!
    if (t >= from && t < until) picked.push(log.latencies[i]!)
  }
  return Float64Array.from(picked).sort()
}

export class Aggregator {
  private readonly logs: Record<string, Partial<Record<Outcome, LatencyLog>>> = {}
  private readonly buckets = new Map<number, Map<string, Bucket>>()
  private readonly vus = new Map<string, number>()
  private readonly vusBySecond = new Map<number, Map<string, number>>()
  private nextSecond = 0
  private readonly rows: Array<SecondRow> = []

  constructor(private readonly endpoints: ReadonlyArray<string>) {}

  /** Records one finished request; `endMs` is ms since the run started. */
  record(endpoint: string, endMs: number, latencyMs: number, outcome: Outcome): void {
    const second = Math.max(0, Math.floor(endMs / 1000))
    let perEndpoint = this.buckets.get(second)
    if (perEndpoint === undefined) {
      perEndpoint = new Map()
      this.buckets.set(second, perEndpoint)
    }
    let bucket = perEndpoint.get(endpoint)
    if (bucket === undefined) {
      bucket = emptyBucket()
      perEndpoint.set(endpoint, bucket)
    }
    bucket.latencies.push(latencyMs)
    const logs = (this.logs[endpoint] ??= {})
    const log = (logs[outcome] ??= { seconds: [], latencies: [] })
    log.seconds.push(second)
    log.latencies.push(latencyMs)
    switch (outcome) {
      case "ok":
        bucket.ok++
        break
      case "busy":
        bucket.busy++
        // NaN compares false, so the first 503 always wins.
        if (!(bucket.busyMax >= latencyMs)) bucket.busyMax = latencyMs
        break
      case "timeout":
        bucket.timeouts++
        break
      case "error":
        bucket.errors++
        break
    }
  }

  /** Notes the VUs currently running for an endpoint; the last sample in a second wins. */
  sampleVUs(endpoint: string, nowMs: number, vus: number): void {
    this.vus.set(endpoint, vus)
    const second = Math.max(0, Math.floor(nowMs / 1000))
    let perEndpoint = this.vusBySecond.get(second)
    if (perEndpoint === undefined) {
      perEndpoint = new Map()
      this.vusBySecond.set(second, perEndpoint)
    }
    perEndpoint.set(endpoint, vus)
  }

  /**
   * Finalises every second that ended at or before `nowMs` and returns the
   * new rows (one per endpoint per second, in endpoint order).
   */
  flush(nowMs: number): ReadonlyArray<SecondRow> {
    const fresh: Array<SecondRow> = []
    while ((this.nextSecond + 1) * 1000 <= nowMs) {
      const second = this.nextSecond++
      const perEndpoint = this.buckets.get(second)
      const vus = this.vusBySecond.get(second)
      for (const endpoint of this.endpoints) {
        const bucket = perEndpoint?.get(endpoint) ?? emptyBucket()
        const sorted = Float64Array.from(bucket.latencies).sort()
        const requests = bucket.ok + bucket.busy + bucket.timeouts + bucket.errors
        fresh.push({
          t: second,
          endpoint,
          vus: vus?.get(endpoint) ?? this.vus.get(endpoint) ?? 0,
          requests,
          ok: bucket.ok,
          busy: bucket.busy,
          timeouts: bucket.timeouts,
          errors: bucket.errors,
          p50: percentile(sorted, 50),
          p95: percentile(sorted, 95),
          p99: percentile(sorted, 99),
          max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
          busyMax: bucket.busyMax
        })
      }
      this.buckets.delete(second)
      this.vusBySecond.delete(second)
    }
    this.rows.push(...fresh)
    return fresh
  }

  /** Every latency recorded so far, by endpoint and outcome. */
  latencyLogs(): LatencyLogs {
    return this.logs
  }

  /** Every row flushed so far. */
  allRows(): ReadonlyArray<SecondRow> {
    return this.rows
  }
}
