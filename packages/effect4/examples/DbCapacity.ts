/**
 * `Db`'s capacity, as `DB_LIMIT` chooses it: a fixed number of permits, or
 * an adaptive limit configured for a small database (the README's advice).
 * The same choices as the Effect 3 line's `examples/DbCapacity.ts`.
 */
import { Limit } from "@effect-concurrency-limiter/effect4"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as AppConfig from "./AppConfig.js"

/**
 * The adaptive limits, started at `initial`: each moves between 1 and 200
 * with the queries' latency. Netflix's defaults otherwise: they let a few
 * queries queue in the database, which on the benchmark's one-core
 * database is what keeps it busy.
 *
 * - `auto`: untuned, the recommended default: latency against the no-load
 *   latency it measures itself, and past it the queries a second each limit
 *   sustained (it is given only `max`).
 * - `gradient2`: latency against its own recent average (tolerance 1.5, a
 *   queue of 4), one decision per window of at least 10 queries and 1 s.
 * - `vegas`: the queue estimated from the no-load latency; it keeps 3 to 6
 *   queries queued.
 * - `aimd`: +1 per query while none is slower than `slowMillis`, × 0.75
 *   once per round trip when one is.
 */
export const adaptiveLimit = (
  algorithm: "auto" | "gradient2" | "vegas" | "aimd",
  initial: number,
  slowMillis: number
): Limit.Limit<any> => {
  const bounds = { initial, min: 1, max: Math.max(200, initial) }
  switch (algorithm) {
    case "auto":
      return Limit.auto({ initial, max: bounds.max })
    case "gradient2":
      return Limit.windowed(Limit.gradient2({ ...bounds }))
    case "vegas":
      return Limit.vegas(bounds)
    case "aimd":
      return Limit.aimd({ ...bounds, backoffRatio: 0.75, timeoutMillis: slowMillis })
  }
}

/**
 * Reads `DB_LIMIT` (with `DB_CONCURRENCY` and `DB_SLOW_MILLIS`) when the
 * module that declares `Db` loads: a resource is a value the handlers
 * import, so the kind of its capacity is fixed before any layer runs. A bad
 * value throws there, naming the variable. A fixed capacity stays a
 * `Config`, which `Limiter.reload` reads again.
 */
export const dbCapacityFromEnv = (): Config.Config<number> | Limit.Limit<any> => {
  const kind = readNow(AppConfig.dbLimit)
  if (kind === "fixed") return AppConfig.dbConcurrency
  const { initial, slowMillis } = readNow(Config.all({ initial: AppConfig.dbConcurrency, slowMillis: AppConfig.dbSlowMillis }))
  return adaptiveLimit(kind, initial, slowMillis)
}

/**
 * Reads a setting at once. A `ConfigError` is thrown as a plain `Error`
 * whose message names the variable and what was expected, which is what
 * Node prints, rather than the error's whole structure.
 */
const readNow = <A>(config: Config.Config<A>): A =>
  Effect.runSync(Effect.mapError(config, (error) => new Error(error.message)))
