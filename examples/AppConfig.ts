/**
 * The example's settings, read from the environment through Effect `Config`.
 * A malformed or out-of-range value fails start-up with a `ConfigError` that
 * names the variable and the value.
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"

/**
 * `Config.integer` reads a blank value as 0 and takes "1e300": neither is a
 * count anyone meant (a blank `DB_MAX_WAITING` would silently never queue).
 */
const integerAtLeast = (name: string, min: 0 | 1) =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const n = Number(text)
      return text.trim() !== "" && Number.isSafeInteger(n) && n >= min
        ? Either.right(n)
        : Either.left(ConfigError.InvalidData(
          [],
          `Expected a ${min === 1 ? "positive" : "non-negative"} integer but received ${JSON.stringify(text)}`
        ))
    })
  )

const positiveInteger = (name: string) => integerAtLeast(name, 1)

const nonNegativeInteger = (name: string) => integerAtLeast(name, 0)

/** `PORT`: where the HTTP server listens (default 8000, as the original). */
export const port = Config.port("PORT").pipe(Config.withDefault(8000))

/** `HOST`: the interface the HTTP server binds (default loopback only). */
export const host = Config.nonEmptyString("HOST").pipe(Config.withDefault("127.0.0.1"))

/**
 * `DATABASE_URL`: a PostgreSQL connection string. When absent the app starts
 * its embedded database instead.
 */
export const databaseUrl = Config.option(Config.redacted("DATABASE_URL"))

/**
 * `DB_POOL_SIZE`: the connection pool's size. Default: 100 for PostgreSQL
 * (the benchmark's pool, large on purpose so that only the limiter bounds
 * the load), 1 for the embedded database (see `shared/embedded/pgliteWorker.ts`).
 */
export const poolSize = Config.option(positiveInteger("DB_POOL_SIZE"))

/** `DB_CONCURRENCY`: the `Db` resource's capacity (default 5, as the original). */
export const dbConcurrency = positiveInteger("DB_CONCURRENCY").pipe(Config.withDefault(5))

/**
 * `DB_LIMIT`: how `Db`'s capacity is set. `fixed` (the default):
 * `DB_CONCURRENCY` permits. `auto` (untuned), `gradient2`, `vegas` or `aimd`: an adaptive
 * limit that starts at `DB_CONCURRENCY` and moves with the database's
 * latency (see `Resources.ts`).
 */
export const dbLimit = Config.literal("fixed", "auto", "gradient2", "vegas", "aimd")("DB_LIMIT").pipe(Config.withDefault("fixed" as const))

/**
 * `DB_SLOW_MILLIS`: for `DB_LIMIT=aimd`, the query latency it calls too slow
 * and backs off from (default 500).
 */
export const dbSlowMillis = positiveInteger("DB_SLOW_MILLIS").pipe(Config.withDefault(500))

/** `FS_CONCURRENCY`: the `Fs` resource's capacity (default 10, as the original). */
export const fsConcurrency = positiveInteger("FS_CONCURRENCY").pipe(Config.withDefault(10))

/**
 * `DB_MAX_WAITING`: how many requests may wait for `Db` at once; one more is
 * refused at once with a 503. `0` never queues. Absent: unbounded (as the
 * original), which is what `Infinity` means to the limiter.
 */
export const dbMaxWaiting = nonNegativeInteger("DB_MAX_WAITING").pipe(Config.withDefault(Infinity))

/** `FS_MAX_WAITING`: the same bound for `Fs` (absent: unbounded). */
export const fsMaxWaiting = nonNegativeInteger("FS_MAX_WAITING").pipe(Config.withDefault(Infinity))

/**
 * `LIMITER_TIMEOUT`: how long a request may wait for its resources before it
 * gets a 503, e.g. "5 seconds" (the default, as the original) or "2000 millis".
 * The limiter itself rejects malformed and negative values.
 */
export const limiterTimeout = Config.string("LIMITER_TIMEOUT").pipe(Config.withDefault("5 seconds"))

/**
 * `LIMITER_ENABLED`: `false` turns every guard into a pass-through: the
 * benchmark's "without limiting" run, the same app otherwise.
 */
export const limiterEnabled = Config.boolean("LIMITER_ENABLED").pipe(Config.withDefault(true))

/**
 * `LIMITER_REDIS_URL`: when set, the limiter holds its permits in that Redis
 * (`RedisLimiter.layer`), so that every replica of the app shares one
 * capacity per resource. Absent: in-process (`Limiter.layer`), the default.
 */
export const limiterRedisUrl = Config.option(Config.string("LIMITER_REDIS_URL"))

/** `LIMITER_REDIS_PREFIX`: the prefix of the limiter's Redis keys (default "ecl-example"). */
export const limiterRedisPrefix = Config.string("LIMITER_REDIS_PREFIX").pipe(Config.withDefault("ecl-example"))

/**
 * `SEED_ROWS`: how many messages PostgreSQL's table must hold (default
 * 1,000,000, the original's). Loaded once; later starts find them and skip.
 */
export const seedRows = positiveInteger("SEED_ROWS").pipe(Config.withDefault(1_000_000))

/**
 * `EMBEDDED_ROWS`: how many messages the embedded database is loaded with at
 * every start (default 100,000: it lives in memory, and this keeps
 * `npm start` ready in a few seconds while a query still scans real data).
 */
export const embeddedRows = positiveInteger("EMBEDDED_ROWS").pipe(Config.withDefault(100_000))

/** The type of `DATABASE_URL`'s value: kept redacted so logs never show the password. */
export type DatabaseUrl = Redacted.Redacted
