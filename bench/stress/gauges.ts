/**
 * The limiter's state for one resource as the server itself reports it on
 * `/metrics`: the stress runs judge the server from outside, as an operator
 * would, not from a handle into its memory.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { parse, sumOf } from "../../test/utils/prometheus.js"
import { httpGet } from "./httpGet.js"

/** One scrape of a resource's gauges and acquisition counters. */
export interface Gauges {
  readonly waiting: number
  readonly inUse: number
  readonly capacity: number
  readonly acquired: number
  readonly timedOut: number
  /** Waiters interrupted while queued: a client that went away before its turn. */
  readonly interrupted: number
}

/** `GET {baseUrl}/metrics`, reduced to `resource`'s figures (summed over partitions). */
export const readGauges = async (baseUrl: string, resource = "Db"): Promise<Gauges> => {
  const { body, status } = await httpGet(`${baseUrl}/metrics`)
  if (status !== 200) throw new Error(`GET /metrics: ${status}: ${body}`)
  const samples = parse(body)
  const of = (name: string, labels: Record<string, string> = {}) => sumOf(samples, name, { resource, ...labels })
  return {
    waiting: of("limiter_waiting"),
    inUse: of("limiter_in_use"),
    capacity: of("limiter_capacity"),
    acquired: of("limiter_acquisitions_total", { outcome: "acquired" }),
    timedOut: of("limiter_acquisitions_total", { outcome: "timeout" }),
    interrupted: of("limiter_acquisitions_total", { outcome: "interrupted" })
  }
}

/**
 * Scrapes every `intervalMs` until `done` holds or `timeoutMs` passes;
 * returns the last scrape, whether it held, and the most waiters any scrape
 * saw. A server flooded with requests may answer a scrape only after
 * seconds: the poll waits for it (the deadline is checked between scrapes).
 */
export const pollGauges = async (
  baseUrl: string,
  done: (gauges: Gauges) => boolean,
  timeoutMs: number,
  intervalMs = 100
): Promise<{ readonly gauges: Gauges; readonly met: boolean; readonly afterMs: number; readonly maxWaiting: number }> => {
  const start = Date.now()
  let maxWaiting = 0
  for (;;) {
    const gauges = await readGauges(baseUrl)
    maxWaiting = Math.max(maxWaiting, gauges.waiting)
    if (done(gauges)) return { gauges, met: true, afterMs: Date.now() - start, maxWaiting }
    if (Date.now() - start >= timeoutMs) return { gauges, met: false, afterMs: Date.now() - start, maxWaiting }
    await sleep(intervalMs)
  }
}
