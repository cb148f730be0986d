/**
 * The resources the example guards, and the limiter that owns them: the
 * same as the Effect 3 line's `examples/Resources.ts`.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import * as AppConfig from "./AppConfig.js"
import { dbCapacityFromEnv } from "./DbCapacity.js"

/**
 * The database: at most `DB_CONCURRENCY` (5) requests query it at once, and
 * at most `DB_MAX_WAITING` (default unbounded) wait for it. With
 * `DB_LIMIT=auto` (or `gradient2`, `vegas`, `aimd`) the capacity is adaptive
 * instead, starting at `DB_CONCURRENCY` (`DbCapacity.ts`).
 */
export const Db = Resource.make("Db", { capacity: dbCapacityFromEnv(), maxWaiting: AppConfig.dbMaxWaiting })

/**
 * The file system: at most `FS_CONCURRENCY` (10) requests read at once, and
 * at most `FS_MAX_WAITING` (default unbounded) wait for it.
 */
export const Fs = Resource.make("Fs", { capacity: AppConfig.fsConcurrency, maxWaiting: AppConfig.fsMaxWaiting })

/**
 * The limiter: `Db` before `Fs` is the canonical acquisition order, as in
 * the original. Timeout and on/off switch come from the environment.
 */
export const LimiterLive = Limiter.layer({
  timeout: AppConfig.limiterTimeout,
  resources: [Db, Fs],
  enabled: AppConfig.limiterEnabled
})
