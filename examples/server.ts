/**
 * The example server: `npm start`.
 *
 * Serves `/messages`, `/file`, `/messages-and-file` and `/metrics` on http://127.0.0.1:8000
 * with `NodeHttpServer`, over the embedded database, or PostgreSQL when
 * `DATABASE_URL` is set. Settings: see `AppConfig.ts`.
 *
 * `NodeRuntime.runMain` turns SIGINT/SIGTERM into interruption: the layers
 * then close in reverse, so the HTTP server, the pool and the embedded
 * database's worker all stop, and the process exits by itself.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { BusyError } from "effect-concurrency-limiter"
import { createServer } from "node:http"
import type { Server } from "node:http"
import { AppLive, routes } from "./App.js"
import * as AppConfig from "./AppConfig.js"

/** How long requests in flight get to finish at shutdown. */
const shutdownGrace = Duration.seconds(1)

const server = createServer()

const HttpLive = NodeHttpServer.layerConfig(() => server, {
  port: AppConfig.port,
  host: AppConfig.host
})

/**
 * Node's `server.close()` waits for every connection to end, and a client
 * that keeps its keep-alive connections busy (any load generator) never lets
 * them end. So at shutdown: stop accepting, drop idle connections, give the
 * requests in flight `shutdownGrace`, then drop the rest.
 */
const closeGracefully = (server: Server) =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => server.closeAllConnections(), Duration.toMillis(shutdownGrace))
    server.close(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    server.closeIdleConnections()
  })

/**
 * Built after the HTTP server, so released before it: its finalizer runs
 * first, and `NodeHttpServer`'s own then finds the server already closed.
 */
const GracefulShutdown = Layer.scopedDiscard(
  Effect.zipRight(HttpServer.HttpServer, Effect.addFinalizer(() => closeGracefully(server)))
)

/** A `BusyError` is the limiter doing its job under overload, not a server error. */
const isBusy = (cause: Cause.Cause<unknown>): boolean =>
  Option.exists(Cause.failureOption(cause), (error) => error instanceof BusyError.BusyError)

/**
 * Logs the cause of every request answered with a 5xx other than the 503 of
 * a `BusyError` (an unexpected failure or a defect), so that a 500 under
 * load can be explained from the log. Interruptions (a client that went away)
 * are not errors. A `BusyError` is recognised before any response is
 * rendered: under overload most requests end that way.
 */
const logServerErrors = HttpMiddleware.make((app) =>
  Effect.tapErrorCause(app, (cause) =>
    Cause.isInterruptedOnly(cause) || isBusy(cause)
      ? Effect.void
      : Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) =>
        response.status >= 500 && response.status !== 503
          ? Effect.logError(`request failed (${response.status})`, cause)
          : Effect.void))
)

const Main = HttpServer.serve(routes, logServerErrors).pipe(
  // Logs "Listening on http://127.0.0.1:8000" from the bound address.
  HttpServer.withLogAddress,
  Layer.provide(AppLive),
  Layer.merge(GracefulShutdown),
  Layer.provide(HttpLive)
)

NodeRuntime.runMain(Layer.launch(Main))
