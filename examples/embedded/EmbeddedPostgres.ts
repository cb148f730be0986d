/**
 * The embedded database: PGlite in a worker thread, reachable over TCP on
 * 127.0.0.1 like any PostgreSQL server, so the app talks to it through the
 * same `@effect/sql-pg` client as to the real thing.
 *
 * About connections: pglite-socket accepts up to `maxConnections` clients
 * (its default is 1) and answers any extra one with a plain-text "Too many
 * connections" before closing it. All connections share one FIFO queue in
 * front of the single PGlite session, interleaved message by message (not
 * query by query), so several connections buy no parallelism and give up
 * per-connection session isolation. The app therefore uses a pool of 1 for
 * the embedded database by default: `pg` queues the waiting queries in the
 * pool instead, with the same throughput.
 *
 * About start-up: the worker keeps a snapshot of a freshly initialised
 * database in the OS temp directory (`ecl-example-pglite-<version>-empty.tar`,
 * about 40 MB) and loads it instead of running initdb again, which halves a
 * cold start. Deleting it is always safe.
 */
import { Data, Duration, Effect } from "effect"
import type { Scope } from "effect"
import { Worker } from "node:worker_threads"

/** The embedded database could not be started. */
export class EmbeddedDatabaseError extends Data.TaggedError("EmbeddedDatabaseError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** Where the embedded database listens. */
export interface Address {
  readonly host: string
  readonly port: number
}

/** How long a clean stop may take before the worker is terminated. */
const stopTimeout = Duration.seconds(3)

const spawn = (maxConnections: number) =>
  Effect.async<{ readonly worker: Worker; readonly address: Address }, EmbeddedDatabaseError>((resume) => {
    const worker = new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { maxConnections } })
    const onMessage = (address: Address) => {
      settle()
      resume(Effect.succeed({ worker, address }))
    }
    const onError = (cause: Error) => {
      settle()
      resume(Effect.fail(new EmbeddedDatabaseError({ message: `embedded database failed to start: ${cause.message}`, cause })))
    }
    const onExit = (code: number) => {
      settle()
      resume(Effect.fail(new EmbeddedDatabaseError({ message: `embedded database exited with code ${code} before listening` })))
    }
    const settle = () => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit)
    }
    worker.once("message", onMessage).once("error", onError).once("exit", onExit)
    // Interrupted while starting (e.g. Ctrl-C during start-up): kill the thread.
    return Effect.promise(() => worker.terminate())
  })

const stop = (worker: Worker) =>
  Effect.async<void>((resume) => {
    worker.once("exit", () => resume(Effect.void))
    worker.postMessage("stop")
  }).pipe(
    Effect.timeoutTo({
      duration: stopTimeout,
      onSuccess: () => Effect.void,
      onTimeout: () => Effect.promise(() => worker.terminate()).pipe(Effect.asVoid)
    }),
    Effect.flatten
  )

/**
 * Starts an empty in-memory PGlite database in a worker thread, serving at
 * most `maxConnections` connections, and stops it (server, database, thread)
 * when the scope closes.
 */
export const start = (maxConnections: number): Effect.Effect<Address, EmbeddedDatabaseError, Scope.Scope> =>
  Effect.acquireRelease(spawn(maxConnections), ({ worker }) => stop(worker)).pipe(
    Effect.map(({ address }) => address),
    Effect.withSpan("EmbeddedPostgres.start")
  )
