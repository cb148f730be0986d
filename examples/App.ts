/**
 * The example app: the Python library's three routes, guarded by the
 * limiter, `/metrics` (unguarded), and the layer that provides everything
 * they need except the HTTP server. Exported so the tests and the benchmark
 * serve exactly this app.
 */
// Modules by path rather than from the packages' index: `@effect/platform`'s
// index also loads its Swagger UI and Scalar pages, about 20 MB of strings
// held for the process's life (see docs/benchmarks.md).
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { Limiter } from "effect-concurrency-limiter"
import { DatabaseLive } from "./Database.js"
import { DataFile } from "./files.js"
import { Messages } from "./Messages.js"
import { metricsHandler, PrometheusMetrics } from "./Metrics.js"
import { Db, Fs, LimiterLive } from "./Resources.js"
import { users } from "./shared/seedData.js"

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

const messages = (userId: number) => Effect.flatMap(Messages, (m) => m.byUser(userId))

const file = Effect.flatMap(DataFile, (f) => f.read)

/**
 * Guards are defined once, outside the handlers that use them. A guard
 * resolves its resources' order and semaphores on first use and keeps its
 * `BusyError`, so a guard made inside a handler would redo that work for
 * every request.
 */
const withDb = Limiter.withResources([Db])
const withDbAndFs = Limiter.withResources([Db, Fs])

/**
 * The routes. The query string is checked before the guard, so a bad
 * `user_id` gets its 400 at once, without waiting for (or holding) a `Db`
 * permit; the response it fails with is sent as is. A `BusyError` from a
 * guard renders itself as the 503; anything else is a 500. `/metrics` has
 * no guard: it must answer while the guarded routes are saturated, which is
 * when it is read.
 */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get(
    "/messages",
    Effect.flatMap(userId, (id) =>
      messages(id).pipe(
        Effect.flatMap((rows) => HttpServerResponse.json(rows)),
        withDb
      ))
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
    Effect.flatMap(userId, (id) =>
      Effect.all({ messages: messages(id), file }, { concurrency: "unbounded" }).pipe(
        Effect.flatMap((body) => HttpServerResponse.json(body)),
        withDbAndFs
      ))
  ),
  HttpRouter.get("/metrics", metricsHandler)
)

/**
 * Everything `routes` needs: the limiter and its resources, the database
 * (PostgreSQL or embedded, seeded), the file, the Prometheus exporter behind
 * `/metrics`, and Node's platform services.
 * Configured from the environment (see `AppConfig.ts`). The parts are built
 * concurrently, so a bad limiter setting fails start-up at once instead of
 * after the database has been loaded.
 */
export const AppLive = Layer.mergeAll(
  LimiterLive,
  Messages.layer.pipe(Layer.provide(DatabaseLive)),
  DataFile.layer,
  PrometheusMetrics.layer
).pipe(Layer.provideMerge(NodeContext.layer))
