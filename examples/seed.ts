/**
 * The example's data: the `messages` table and a deterministic generator of
 * its rows, shaped like the Python library's benchmark data (`user_id`
 * 1–1000, a message of 5–30 random words, `created_at` within one year).
 *
 * The same generator loads PostgreSQL and the embedded PGlite, through the
 * same `SqlClient`, so both databases hold the same rows for a given count.
 */
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/** How many distinct users the rows are spread over (ids 1 to `users`). */
export const users = 1000

const words = (
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et " +
  "dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea " +
  "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur " +
  "excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum"
).split(" ")

/** Rows per INSERT: big enough to amortise round trips, small enough to keep each statement a few MB. */
const batchSize = 10_000

const yearStart = Date.UTC(2025, 0, 1)
const yearMillis = 365 * 24 * 60 * 60 * 1000

/**
 * A seeded pseudo-random generator (mulberry32): the data must be the same
 * on every run and on every database, which `Math.random` cannot give.
 */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** One batch of rows, column by column, ready for `unnest`. */
export interface Batch {
  readonly userIds: ReadonlyArray<number>
  readonly messages: ReadonlyArray<string>
  readonly createdAts: ReadonlyArray<string>
}

/**
 * Generates `rows` rows in batches of at most `size`. Lazy, so a million
 * rows never sit in memory at once.
 */
export function* generate(rows: number, size = batchSize, seed = 42): Generator<Batch> {
  const random = mulberry32(seed)
  const pick = (n: number) => Math.floor(random() * n)
  for (let done = 0; done < rows; done += size) {
    const n = Math.min(size, rows - done)
    const userIds: Array<number> = []
    const messages: Array<string> = []
    const createdAts: Array<string> = []
    for (let i = 0; i < n; i++) {
      userIds.push(1 + pick(users))
      const length = 5 + pick(26)
      const message: Array<string> = []
      for (let w = 0; w < length; w++) message.push(words[pick(words.length)])
      messages.push(message.join(" "))
      createdAts.push(new Date(yearStart + pick(yearMillis)).toISOString())
    }
    yield { userIds, messages, createdAts }
  }
}

/**
 * Creates the `messages` table if it is missing. Deliberately without an
 * index on `user_id`, as in the original benchmark: the query then scans the
 * whole table, so the database, not the HTTP layer, is the contended resource.
 */
export const createSchema = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE IF NOT EXISTS messages (
    message_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id integer NOT NULL,
    message text NOT NULL,
    created_at timestamptz NOT NULL
  )`
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
