/**
 * Opens many connections at a pace the server's listen backlog accepts.
 *
 * A connection the kernel has completed waits in the listening socket's
 * accept queue until the server's event loop accepts it. The queue holds
 * `backlog` connections (Node's default 511, capped by net.core.somaxconn);
 * past that, Linux drops new SYNs (tcp_abort_on_overflow=0) and the client
 * retries them after 1 s, 3 s, ... — slow, but not a failure. Opening
 * 10,000 sockets in one tick would turn most of them into SYN retries, and
 * so would any fixed rate faster than the server accepts (which depends on
 * what else the machine runs). So connects are started at most at
 * `ratePerSecond`, with at most `maxPending` not yet connected, and, given
 * `acceptQueue`, only while the listening socket's accept queue (read with
 * `ss` every few ms) plus the connects started since the reading stay under
 * `acceptQueue.limit` (half the backlog, say). A connect that took ≥ 1 s is
 * counted as a SYN retry; a refused or reset connect is a failure.
 */
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import type { Connection } from "./connection.js"

/** How fast to connect. */
export interface Pace {
  readonly ratePerSecond: number
  readonly maxPending: number
  /** Reads the server's accept queue; connects wait while it would exceed `limit`. */
  readonly acceptQueue?: { readonly read: () => Promise<number>; readonly limit: number }
}

/** What opening cost. */
export interface Opened {
  readonly connections: ReadonlyArray<Connection>
  readonly connectFailures: ReadonlyMap<string, number>
  /** Connects that took ≥ 1 s: a SYN the kernel dropped and the client retried. */
  readonly synRetries: number
  readonly maxConnectMs: number
  /** From the first connect to the last one settled. */
  readonly openMs: number
}

/** Starts `count` connections made by `make` at `pace`; resolves once every connect has succeeded or failed. */
export const openPaced = async (count: number, pace: Pace, make: () => Connection): Promise<Opened> => {
  const connections: Array<Connection> = []
  const connectFailures = new Map<string, number>()
  const settled: Array<Promise<void>> = []
  let pending = 0
  let synRetries = 0
  let maxConnectMs = 0
  const start = performance.now()
  // The latest accept-queue reading, and how many connections had been started when it was taken.
  let queued = 0
  let startedAtReading = 0
  let reading = false
  while (connections.length < count) {
    if (pace.acceptQueue !== undefined && !reading) {
      reading = true
      const startedNow = connections.length
      void pace.acceptQueue.read().then((n) => {
        queued = Number.isNaN(n) ? 0 : n
        startedAtReading = startedNow
        reading = false
      })
    }
    const due = Math.floor(((performance.now() - start) / 1000) * pace.ratePerSecond) + 1
    const accepted = pace.acceptQueue === undefined
      ? Infinity
      : pace.acceptQueue.limit - queued - (connections.length - startedAtReading)
    const now = Math.min(Math.min(count, due) - connections.length, accepted)
    for (let i = 0; i < Math.min(now, pace.maxPending - pending); i++) {
      const connection = make()
      connections.push(connection)
      pending++
      settled.push(connection.connected.then(
        (ms) => {
          if (ms >= 1000) synRetries++
          maxConnectMs = Math.max(maxConnectMs, ms)
        },
        (error: NodeJS.ErrnoException) => {
          const code = error.code ?? error.message
          connectFailures.set(code, (connectFailures.get(code) ?? 0) + 1)
        }
      ).finally(() => pending--))
    }
    await sleep(2)
  }
  await Promise.all(settled)
  return { connections, connectFailures, synRetries, maxConnectMs, openMs: performance.now() - start }
}
