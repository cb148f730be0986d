/**
 * The example's data: the `messages` table, loaded with the rows of the
 * deterministic generator both Effect lines share (`shared/seedData.ts`).
 *
 * The same generator loads PostgreSQL and the embedded PGlite, through the
 * same `SqlClient`, so both databases hold the same rows for a given count.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { createTableSql, generate } from "./shared/seedData.js"

/** Creates the `messages` table if it is missing (without an index on `user_id`: see `createTableSql`). */
export const createSchema = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(createTableSql)
})

/**
 * Makes the `messages` table hold exactly `rows` generated rows. Idempotent
 * and cheap when already done: it skips the load when the table has the
 * expected row count, otherwise it empties and reloads it in one transaction
 * (so an interrupted load leaves the previous contents, never half a table).
 */
export const seed = Effect.fn("seed")(function*(rows: number) {
  const sql = yield* SqlClient.SqlClient
  yield* createSchema
  const [{ count }] = yield* sql<{ count: number }>`SELECT count(*)::int AS count FROM messages`
  if (count === rows) {
    yield* Effect.logDebug(`messages already holds ${rows} rows`)
    return
  }
  yield* Effect.log(`loading ${rows} messages (the table holds ${count})`)
  const started = Date.now()
  yield* Effect.gen(function*() {
    yield* sql`TRUNCATE messages RESTART IDENTITY`
    for (const batch of generate(rows)) {
      // `unnest` over three array parameters: one statement per batch, and
      // three bind parameters however many rows, unlike a multi-row VALUES.
      yield* sql`INSERT INTO messages (user_id, message, created_at)
        SELECT * FROM unnest(${batch.userIds}::int4[], ${batch.messages}::text[], ${batch.createdAts}::timestamptz[])`
    }
  }).pipe(sql.withTransaction)
  // Fresh statistics so the planner knows the table's size right away.
  yield* sql`ANALYZE messages`
  yield* Effect.log(`loaded ${rows} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`)
})
