/**
 * The embedded database, without Effect: PGlite in a worker thread
 * (`worker.mjs`), reachable over TCP on 127.0.0.1 like any PostgreSQL
 * server, so the app talks to it through the same `@effect/sql-pg` client as
 * to the real thing. Each Effect line wraps `spawn` and `stop` in its own
 * `EmbeddedPostgres.ts` (`examples/embedded/`, `packages/effect4/examples/embedded/`).
 *
 * About connections: pglite-socket accepts up to `maxConnections` clients
 * (its default is 1) and answers any extra one with a plain-text "Too many
 * connections" before closing it. All connections share one FIFO queue in
 * front of the single PGlite session, interleaved message by message (not
 * query by query), so several connections buy no parallelism and give up
 * per-connection session isolation. The apps therefore use a pool of 1 for
 * the embedded database by default: the client queues the waiting queries
 * in the pool instead, with the same throughput.
 *
 * About start-up: the worker keeps a snapshot of a freshly initialised
 * database in the OS temp directory (`ecl-example-pglite-<version>-empty.tar`,
 * about 40 MB) and loads it instead of running initdb again, which halves a
 * cold start. Deleting it is always safe.
 *
 * The worker is loaded by URL next to this module: a bundle of the app
 * (`bench/shared/build.ts`) gets `worker.mjs` copied beside it.
 */
import { Worker } from "node:worker_threads"

/** Where the embedded database listens. */
export interface Address {
  readonly host: string
  readonly port: number
}

/** How a start ended: listening, or failed before it could listen. */
export type Started =
  | { readonly _tag: "Listening"; readonly worker: Worker; readonly address: Address }
  | { readonly _tag: "Failed"; readonly message: string; readonly cause?: unknown }

/**
 * Starts an empty in-memory PGlite database in a worker thread, serving at
 * most `maxConnections` connections; `done` is called once, when it listens
 * or fails to. Returns what abandons the start (e.g. Ctrl-C during start-up):
 * it kills the thread.
 */
export const spawn = (maxConnections: number, done: (started: Started) => void): () => Promise<void> => {
  const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { maxConnections } })
  const settle = (started: Started) => {
    worker.off("message", onMessage).off("error", onError).off("exit", onExit)
    done(started)
  }
  const onMessage = (address: Address) => settle({ _tag: "Listening", worker, address })
  const onError = (cause: Error) =>
    settle({ _tag: "Failed", message: `embedded database failed to start: ${cause.message}`, cause })
  const onExit = (code: number) =>
    settle({ _tag: "Failed", message: `embedded database exited with code ${code} before listening` })
  worker.once("message", onMessage).once("error", onError).once("exit", onExit)
  return () => worker.terminate().then(() => undefined)
}

/**
 * Stops the database (server, database, thread) cleanly, or terminates the
 * thread when that takes longer than `timeoutMs`. Resolves once it has exited.
 */
export const stop = (worker: Worker, timeoutMs: number): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => void worker.terminate(), timeoutMs)
    worker.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    worker.postMessage("stop")
  })
