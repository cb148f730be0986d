/**
 * The `Messages` service: the database work behind `/messages`.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** One row of the `messages` table, as the API returns it. */
export interface Message {
  readonly message_id: number
  readonly user_id: number
  readonly message: string
  readonly created_at: Date
}

/**
 * Reads messages. The query is the original benchmark's: without an index on
 * `user_id` it scans the whole table and sorts the matches, real work that
 * runs in the database server (or PGlite's worker), off the event loop.
 */
export class Messages extends Context.Tag("examples/Messages")<Messages, {
  /** Up to 100 of the user's messages, in random order. */
  readonly byUser: (userId: number) => Effect.Effect<ReadonlyArray<Message>, SqlError>
}>() {
  /** `Messages` backed by whatever `SqlClient` the app provides. */
  static readonly layer: Layer.Layer<Messages, never, SqlClient.SqlClient> = Layer.effect(
    Messages,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return {
        byUser: Effect.fn("Messages.byUser")(function*(userId: number) {
          return yield* sql<Message>`SELECT message_id, user_id, message, created_at
            FROM messages WHERE user_id = ${userId} ORDER BY random() LIMIT 100`
        })
      }
    })
  )
}
