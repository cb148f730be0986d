/**
 * The resources the example guards, and the limiter that owns them.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import * as AppConfig from "./AppConfig.js"
import { dbCapacityFromEnv } from "./DbCapacity.js"

/**
 * The database: at most `DB_CONCURRENCY` (5) requests query it at once, and
 * at most `DB_MAX_WAITING` (default unbounded) wait for it. With
 * `DB_LIMIT=gradient2` (or `vegas`, `aimd`) the capacity is adaptive instead,
 * starting at `DB_CONCURRENCY` (`DbCapacity.ts`).
 */
export const Db = Resource.make("Db", { capacity: dbCapacityFromEnv(), maxWaiting: AppConfig.dbMaxWaiting })

/**
 * The file system: at most `FS_CONCURRENCY` (10) requests read at once, and
 * at most `FS_MAX_WAITING` (default unbounded) wait for it.
 */
export const Fs = Resource.make("Fs", { capacity: AppConfig.fsConcurrency, maxWaiting: AppConfig.fsMaxWaiting })

/**
 * The limiter: `Db` before `Fs` is the canonical acquisition order, as in
 * the original. Timeout and on/off switch come from the environment. With
 * `LIMITER_REDIS_URL` set, the same resources and guards hold their permits
 * in Redis, one capacity across every replica: the layer is the only change.
 */
export const LimiterLive = Layer.unwrapEffect(
  Effect.gen(function*() {
    const options = { timeout: AppConfig.limiterTimeout, resources: [Db, Fs], enabled: AppConfig.limiterEnabled } as const
    const redis = yield* AppConfig.limiterRedisUrl
    if (Option.isNone(redis)) return Limiter.layer(options)
    yield* Effect.log(`limiter: permits held in Redis (prefix ${yield* AppConfig.limiterRedisPrefix})`)
    return RedisLimiter.layer({ ...options, redis: redis.value, prefix: yield* AppConfig.limiterRedisPrefix })
  })
)
