/**
 * A wave: `connections` clients connect (paced, see `pacing.ts`); once every
 * one is open (and, with `beforeRequests`, the server has accepted them
 * all), each sends one request at the same moment and keeps its connection
 * open after the response; once every request has ended, all of them close.
 * Connecting first keeps the accept rate, which depends on what else the
 * machine runs, out of the queue: every request arrives within a few
 * hundred milliseconds, all of them are in the limiter's queue at once, and
 * none times out before the last one is even sent. But Node's HTTP server
 * closes a connection that has not sent its headers within `headersTimeout`
 * (60 s, checked every 30 s): on a machine so busy that opening takes that
 * long, a connection sends its request anyway once it has been open
 * `maxIdleMs` (default 40 s). Each request is classified: 200, 503 (with the limiter's body and
 * Retry-After or not), another status, or an error. The server dropping or
 * resetting a connection before its response is an error, never a 503.
 */
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { open } from "./connection.js"
import type { Outcome } from "./connection.js"
import { openPaced } from "./pacing.js"
import type { Pace } from "./pacing.js"

/** Options of {@link runWave}. */
export interface WaveOptions {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly connections: number
  readonly pace: Pace
  readonly responseTimeoutMs: number
  /** A connection open this long sends its request without waiting for the others (default 40 s). */
  readonly maxIdleMs?: number
  /** Awaited once every connection is open, before any request is sent. */
  readonly beforeRequests?: () => Promise<void>
  /** Awaited once every request is written, while they are still in the server. */
  readonly whileHeld?: (held: number) => Promise<void>
}

/** A wave's figures. */
export interface WaveResult {
  readonly ok: number
  readonly busy: number
  /** 503s without the limiter's body or a Retry-After. */
  readonly busyMalformed: number
  readonly otherStatus: ReadonlyMap<number, number>
  /** By code: ECONNRESET, EPIPE, ECONNREFUSED, closed (before a response), timeout... */
  readonly errors: ReadonlyMap<string, number>
  /** The most connections open at once. */
  readonly peakHeld: number
  readonly synRetries: number
  readonly maxConnectMs: number
  readonly openMs: number
  /** From the first request sent to the last ended. */
  readonly durationMs: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
}

const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1)

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

/** Runs one wave and resolves once every connection has closed. */
export const runWave = async (options: WaveOptions): Promise<WaveResult> => {
  let held = 0
  let peakHeld = 0
  const opened = await openPaced(options.connections, options.pace, () => {
    const connection = open(options)
    connection.connected.then(() => {
      const timer = setTimeout(connection.send, options.maxIdleMs ?? 40_000)
      void connection.outcome.then(() => clearTimeout(timer))
      held++
      peakHeld = Math.max(peakHeld, held)
      void connection.closed.then(() => held--)
    }, () => undefined)
    return connection
  })
  if (options.beforeRequests !== undefined) await options.beforeRequests()
  const sentAt = performance.now()
  for (const connection of opened.connections) connection.send()
  if (options.whileHeld !== undefined) await options.whileHeld(held)
  const outcomes: Array<Outcome> = await Promise.all(opened.connections.map((c) => c.outcome))
  const durationMs = performance.now() - sentAt
  // Every request has ended: close what is still open, and drop (bounded) what does not close.
  for (const connection of opened.connections) connection.end()
  const allClosed = Promise.all(opened.connections.map((c) => c.closed))
  if (await Promise.race([allClosed.then(() => true), sleep(10_000).then(() => false)]) === false) {
    for (const connection of opened.connections) connection.destroy()
    await allClosed
  }
  let ok = 0
  let busy = 0
  let busyMalformed = 0
  const otherStatus = new Map<number, number>()
  const errors = new Map<string, number>()
  for (const outcome of outcomes) {
    if (outcome.kind === "ok") ok++
    else if (outcome.kind === "busy") {
      busy++
      if (!outcome.wellFormed) busyMalformed++
    } else if (outcome.kind === "status") count(otherStatus, outcome.status)
    else if (outcome.kind === "error") count(errors, outcome.code) // a failed connect included
    else count(errors, "aborted")
  }
  const latencies = opened.connections.map((c) => c.latencyMs()).filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b)
  return {
    ok,
    busy,
    busyMalformed,
    otherStatus,
    errors,
    peakHeld,
    synRetries: opened.synRetries,
    maxConnectMs: opened.maxConnectMs,
    openMs: opened.openMs,
    durationMs,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN
  }
}

/** Every request ended in a 200 or a well-formed 503, and nothing was refused, reset, dropped or timed out. */
export const waveFailures = (result: WaveResult, connections: number): ReadonlyArray<string> => {
  const failures: Array<string> = []
  if (result.ok + result.busy !== connections) failures.push(`only ${result.ok + result.busy} of ${connections} ended in 200/503`)
  if (result.busyMalformed > 0) failures.push(`${result.busyMalformed} 503s without the limiter's body or Retry-After`)
  for (const [status, n] of result.otherStatus) failures.push(`${n} × status ${status}`)
  for (const [code, n] of result.errors) failures.push(`${n} × ${code}`)
  if (result.peakHeld < connections) failures.push(`only ${result.peakHeld} of ${connections} connections were open at once`)
  return failures
}
