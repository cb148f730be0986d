/**
 * The example's data, without Effect: a deterministic generator of the
 * `messages` rows, shaped like the Python library's benchmark data
 * (`user_id` 1–1000, a message of 5–30 random words, `created_at` within
 * one year), and the SQL that holds them.
 *
 * Shared by both Effect lines' example apps (`examples/seed.ts`,
 * `packages/effect4/examples/seed.ts`), so that both load the same rows for
 * a given count and the benchmark compares them on the same data.
 */

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
 * The `messages` table, created if missing. Deliberately without an index
 * on `user_id`, as in the original benchmark: the query then scans the whole
 * table, so the database, not the HTTP layer, is the contended resource.
 */
export const createTableSql = `CREATE TABLE IF NOT EXISTS messages (
  message_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id integer NOT NULL,
  message text NOT NULL,
  created_at timestamptz NOT NULL
)`
