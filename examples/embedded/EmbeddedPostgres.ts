/**
 * The embedded database as an Effect 3 resource: PGlite in a worker thread,
 * reachable over TCP on 127.0.0.1 (see `../shared/embedded/pgliteWorker.ts`,
 * shared with the Effect 4 line's example, for how and why).
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { Worker } from "node:worker_threads"
import * as PgliteWorker from "../shared/embedded/pgliteWorker.js"

/** The embedded database could not be started. */
export class EmbeddedDatabaseError extends Data.TaggedError("EmbeddedDatabaseError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** Where the embedded database listens. */
export type Address = PgliteWorker.Address

/** How long a clean stop may take before the worker is terminated. */
const stopTimeout = Duration.seconds(3)

const spawn = (maxConnections: number) =>
  Effect.async<{ readonly worker: Worker; readonly address: Address }, EmbeddedDatabaseError>((resume) => {
    const abandon = PgliteWorker.spawn(maxConnections, (started) =>
      resume(
        started._tag === "Listening"
          ? Effect.succeed(started)
          : Effect.fail(new EmbeddedDatabaseError({ message: started.message, cause: started.cause }))
      ))
    // Interrupted while starting (e.g. Ctrl-C during start-up): kill the thread.
    return Effect.promise(abandon)
  })

/**
 * Starts an empty in-memory PGlite database in a worker thread, serving at
 * most `maxConnections` connections, and stops it (server, database, thread)
 * when the scope closes.
 */
export const start = (maxConnections: number): Effect.Effect<Address, EmbeddedDatabaseError, Scope.Scope> =>
  Effect.acquireRelease(
    spawn(maxConnections),
    ({ worker }) => Effect.promise(() => PgliteWorker.stop(worker, Duration.toMillis(stopTimeout)))
  ).pipe(
    Effect.map(({ address }) => address),
    Effect.withSpan("EmbeddedPostgres.start")
  )
