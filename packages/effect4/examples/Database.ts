/**
 * The database layer: PostgreSQL when `DATABASE_URL` is set, otherwise the
 * embedded PGlite. Either way the app gets an `@effect/sql-pg` client and a
 * seeded `messages` table: one code path for every query.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import type { SqlError } from "effect/sql/SqlError"
import * as AppConfig from "./AppConfig.js"
import * as EmbeddedPostgres from "./embedded/EmbeddedPostgres.js"
import { seed } from "./seed.js"

/** PostgreSQL's default pool: the benchmark's 100 connections. */
const postgresPoolSize = 100

/** The embedded database's default pool: see `examples/shared/embedded/pgliteWorker.ts`. */
const embeddedPoolSize = 1

const seeded = (rows: number) => Layer.effectDiscard(seed(rows))

const postgres = (url: AppConfig.DatabaseUrl, poolSize: Option.Option<number>) =>
  Effect.gen(function*() {
    const rows = yield* AppConfig.seedRows
    const maxConnections = Option.getOrElse(poolSize, () => postgresPoolSize)
    yield* Effect.log(`database: PostgreSQL, pool of ${maxConnections}`)
    return seeded(rows).pipe(
      Layer.provideMerge(PgClient.layer({ url, maxConnections, applicationName: "ecl-example" }))
    )
  })

const embedded = (poolSize: Option.Option<number>) =>
  Effect.gen(function*() {
    const rows = yield* AppConfig.embeddedRows
    const maxConnections = Option.getOrElse(poolSize, () => embeddedPoolSize)
    const { host, port } = yield* EmbeddedPostgres.start(maxConnections)
    yield* Effect.log(`database: embedded PGlite on ${host}:${port}, pool of ${maxConnections}`)
    return seeded(rows).pipe(
      Layer.provideMerge(PgClient.layer({
        host,
        port,
        username: "postgres",
        database: "postgres",
        maxConnections,
        applicationName: "ecl-example"
      }))
    )
  })

/**
 * A `SqlClient` (and `PgClient`) over a seeded `messages` table. The
 * embedded database lives as long as the layer: its worker stops when the
 * app shuts down.
 */
export const DatabaseLive: Layer.Layer<
  SqlClient.SqlClient | PgClient.PgClient,
  Config.ConfigError | SqlError | EmbeddedPostgres.EmbeddedDatabaseError
> = Layer.unwrap(
  Effect.gen(function*() {
    const url = yield* AppConfig.databaseUrl
    const poolSize = yield* AppConfig.poolSize
    return Option.isSome(url) ? yield* postgres(url.value, poolSize) : yield* embedded(poolSize)
  })
)
