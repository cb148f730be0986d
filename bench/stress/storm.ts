/**
 * A disconnect storm: `clients` requests queue for the resource (the server
 * must give them a long limiter timeout, so that they really wait), then
 * every client drops its connection (`socket.destroy()`) at a random moment
 * over `spreadMs`: most while queued, a few while their request holds a
 * permit, some after their answer. Afterwards the limiter must be idle
 * (nobody waiting, nothing held) and the next request served at once.
 * The moments come from a seeded generator; the seed is in the result.
 */
import { performance } from "node:perf_hooks"
import { open } from "./connection.js"
import { pollGauges, readGauges } from "./gauges.js"
import { httpGet } from "./httpGet.js"
import type { Gauges } from "./gauges.js"
import { openPaced } from "./pacing.js"
import type { Pace } from "./pacing.js"

/** Options of {@link runStorm}. */
export interface StormOptions {
  readonly host: string
  readonly port: number
  readonly path: string
  readonly clients: number
  readonly pace: Pace
  readonly seed: number
  /** The disconnects are spread uniformly over this long. */
  readonly spreadMs: number
  /** How long the limiter may take to be idle after the last disconnect. */
  readonly settleTimeoutMs: number
  /**
   * Runs beside the disconnects, once every request is in the limiter. A
   * test that holds the resource's permits (so that every request queues)
   * releases them here, once a disconnect has left the queue.
   */
  readonly duringStorm?: () => Promise<void>
}

/** A storm's figures. */
export interface StormResult {
  readonly seed: number
  /** The most requests the limiter showed waiting before the storm. */
  readonly waitingBefore: number
  /** Whether every request had reached the limiter (queued or acquired) before the storm. */
  readonly allQueued: boolean
  /** Answered (200) before their client went away. */
  readonly answered: number
  /** Answered with anything but a 200, or ended by the server, before the disconnect. */
  readonly unexpected: ReadonlyMap<string, number>
  /** Dropped while waiting in the limiter's queue (its `interrupted` counter). */
  readonly disconnectedWhileQueued: number
  /** Dropped after acquiring a permit: while the query ran, or before the answer reached the client. */
  readonly disconnectedWhileHolding: number
  /** The limiter once idle again (or at the deadline). */
  readonly after: Gauges
  readonly settledMs: number
  readonly idle: boolean
  readonly nextStatus: number
  readonly nextLatencyMs: number
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
const seeded = (seed: number) => {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Runs one storm against `http://host:port`, whose `/metrics` reports the resource `Db`. */
export const runStorm = async (options: StormOptions): Promise<StormResult> => {
  const baseUrl = `http://${options.host}:${options.port}`
  const before = await readGauges(baseUrl)
  const opened = await openPaced(options.clients, options.pace, () => open({ ...options, responseTimeoutMs: 600_000 }))
  for (const connection of opened.connections) connection.send()
  // Every request in the limiter: queued, or holding/answered (acquired).
  const queued = await pollGauges(
    baseUrl,
    (g) => g.waiting + g.acquired - before.acquired >= options.clients,
    30_000,
    50
  )
  const random = seeded(options.seed)
  const unexpected = new Map<string, number>()
  let answered = 0
  let dropped = 0
  const disconnects = Promise.all(opened.connections.map((connection) =>
    new Promise<void>((resolve) => {
      setTimeout(() => {
        connection.destroy()
        resolve()
      }, random() * options.spreadMs)
    }).then(async () => {
      const outcome = await connection.outcome
      if (outcome.kind === "ok") answered++
      else if (outcome.kind === "aborted") dropped++
      else {
        const key = outcome.kind === "error" ? outcome.code : outcome.kind === "status" ? String(outcome.status) : "503"
        unexpected.set(key, (unexpected.get(key) ?? 0) + 1)
      }
      await connection.closed
    })
  ))
  await Promise.all([disconnects, options.duringStorm?.()])
  const settled = await pollGauges(baseUrl, (g) => g.waiting === 0 && g.inUse === 0, options.settleTimeoutMs)
  const disconnectedWhileQueued = settled.gauges.interrupted - before.interrupted
  const start = performance.now()
  const next = await httpGet(`${baseUrl}${options.path}`)
  const nextLatencyMs = performance.now() - start
  return {
    seed: options.seed,
    waitingBefore: queued.maxWaiting,
    allQueued: queued.met,
    answered,
    unexpected,
    disconnectedWhileQueued,
    disconnectedWhileHolding: dropped - disconnectedWhileQueued,
    after: settled.gauges,
    settledMs: settled.afterMs,
    idle: settled.met,
    nextStatus: next.status,
    nextLatencyMs
  }
}

/** The storm's checks; `nextWithinMs` is what "served at once" means. */
export const stormFailures = (result: StormResult, clients: number, nextWithinMs: number): ReadonlyArray<string> => {
  const failures: Array<string> = []
  if (!result.allQueued) failures.push(`not every request reached the limiter before the storm`)
  if (result.waitingBefore < clients * 0.5) failures.push(`only ${result.waitingBefore} of ${clients} were seen waiting before the storm`)
  for (const [kind, n] of result.unexpected) failures.push(`${n} × ${kind} before the disconnect`)
  if (result.disconnectedWhileHolding < 0) failures.push(`more interrupted waiters than disconnects (${result.disconnectedWhileQueued})`)
  if (!result.idle) failures.push(`limiter not idle ${result.settledMs} ms after the storm: waiting ${result.after.waiting}, in use ${result.after.inUse}`)
  if (result.nextStatus !== 200) failures.push(`the next request got ${result.nextStatus}`)
  if (result.nextLatencyMs > nextWithinMs) failures.push(`the next request took ${result.nextLatencyMs.toFixed(0)} ms (bound ${nextWithinMs} ms)`)
  return failures
}
