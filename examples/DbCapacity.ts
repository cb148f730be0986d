/**
 * `Db`'s capacity, as `DB_LIMIT` chooses it: a fixed number of permits, or
 * an adaptive limit configured for a small database (the README's advice).
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import { Limit } from "effect-concurrency-limiter"
import * as AppConfig from "./AppConfig.js"

/**
 * The adaptive limits, started at `initial`: each moves between 1 and 200
 * with the queries' latency. Netflix's defaults otherwise: they let a few
 * queries queue in the database, which on this benchmark's one-core
 * database is what keeps it busy (its latency rises from 2 queries in
 * flight, its throughput up to ~5).
 *
 * - `auto`: untuned, the recommended default: latency against the no-load
 *   latency it measures itself, and past it the queries a second each limit
 *   sustained (this file gives it only `max`).
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
      // Untuned: it measures the database's no-load latency itself.
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
  const kind = Effect.runSync(AppConfig.dbLimit)
  if (kind === "fixed") return AppConfig.dbConcurrency
  const { initial, slowMillis } = Effect.runSync(Config.all({ initial: AppConfig.dbConcurrency, slowMillis: AppConfig.dbSlowMillis }))
  return adaptiveLimit(kind, initial, slowMillis)
}
