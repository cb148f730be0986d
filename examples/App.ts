/**
 * The example app: the Python library's three routes, guarded by the
 * limiter, and the layer that provides everything they need except the HTTP
 * server. Exported so the tests and the benchmark serve exactly this app.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { Limiter } from "effect-concurrency-limiter"
import { DatabaseLive } from "./Database.js"
import { DataFile } from "./files.js"
import { Messages } from "./Messages.js"
import { Db, Fs, LimiterLive } from "./Resources.js"
import { users } from "./seed.js"

/**
 * `?user_id=N`, 1 to 1000. It defaults to 1, like the original, which always
 * queried user 1: every request then costs the same (a full scan either
 * way), and the benchmark needs no parameters.
 */
const MessagesParams = Schema.Struct({
  user_id: Schema.optionalWith(
    Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, users)),
    { default: () => 1 }
  )
})

const userId = HttpServerRequest.schemaSearchParams(MessagesParams).pipe(
  Effect.map((params) => params.user_id),
  Effect.catchTag("ParseError", () =>
    Effect.fail(
      HttpServerResponse.unsafeJson({ detail: `user_id must be an integer from 1 to ${users}` }, { status: 400 })
    ))
)

const messages = Effect.flatMap(userId, (id) => Effect.flatMap(Messages, (m) => m.byUser(id)))

const file = Effect.flatMap(DataFile, (f) => f.read)

/**
 * The routes. A `BusyError` from a guard renders itself as the 503 response;
 * a bad `user_id` is answered with 400; anything else is a 500.
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/messages",
    messages.pipe(
      Effect.flatMap((rows) => HttpServerResponse.json(rows)),
      Limiter.withResources([Db])
    )
  ),
  HttpRouter.get(
    "/file",
    file.pipe(
      Effect.map((text) => HttpServerResponse.text(text)),
      Limiter.withResources([Fs])
    )
  ),
  HttpRouter.get(
    "/messages-and-file",
    Effect.all({ messages, file }, { concurrency: "unbounded" }).pipe(
      Effect.flatMap((body) => HttpServerResponse.json(body)),
      Limiter.withResources([Db, Fs])
    )
  ),
  // A bad request fails with its ready-made 400 response: answer with it.
  HttpRouter.catchAll((error) =>
    HttpServerResponse.isServerResponse(error) ? Effect.succeed(error) : Effect.fail(error)
  )
)

/**
 * Everything `routes` needs: the limiter and its resources, the database
 * (PostgreSQL or embedded, seeded), the file, and Node's platform services.
 * Configured from the environment (see `AppConfig.ts`).
 */
export const AppLive = Layer.mergeAll(LimiterLive, Messages.layer, DataFile.layer).pipe(
  Layer.provideMerge(DatabaseLive),
  Layer.provideMerge(NodeContext.layer)
)
