/**
 * The example server on Effect 4: `npm run start:effect4` at the repository's
 * root (Node >= 22.19, through `scripts/with-node22.sh`).
 *
 * Serves `/messages`, `/file`, `/messages-and-file` and `/metrics` on
 * http://127.0.0.1:8000 with `NodeHttpServer`, over the embedded database,
 * or PostgreSQL when `DATABASE_URL` is set. Settings: see `AppConfig.ts`
 * (the same variables as the Effect 3 line's `npm start`).
 *
 * `NodeRuntime.runMain` turns SIGINT/SIGTERM into interruption: the layers
 * then close in reverse, so the HTTP server, the pool and the embedded
 * database's worker all stop, and the process exits by itself.
 */
import { BusyError } from "@effect-concurrency-limiter/effect4"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerError from "effect/http/HttpServerError"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import type { Server } from "node:http"
import { AppLive, routes } from "./App.js"
import * as AppConfig from "./AppConfig.js"

/** How long requests in flight get to finish at shutdown. */
const shutdownGrace = Duration.seconds(1)

const server = createServer()

const HttpLive = NodeHttpServer.layerConfig(() => server, {
  port: AppConfig.port,
  host: AppConfig.host,
  gracefulShutdownTimeout: Config.succeed(shutdownGrace)
})

/**
 * Node's `server.close()` waits for every connection to end, and a client
 * that keeps its keep-alive connections busy (any load generator) never lets
 * them end. So at shutdown: stop accepting, drop idle connections, give the
 * requests in flight `shutdownGrace`, then drop the rest.
 */
const closeGracefully = (server: Server) =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => server.closeAllConnections(), Duration.toMillis(shutdownGrace))
    server.close(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    server.closeIdleConnections()
  })

/** A `BusyError` is the limiter doing its job under overload, not a server error. */
const isBusy = (cause: Cause.Cause<unknown>): boolean =>
  cause.reasons.some((reason) => Cause.isFailReason(reason) && reason.error instanceof BusyError.BusyError)

/**
 * Logs the cause of every request answered with a 5xx other than the 503 of
 * a `BusyError` (an unexpected failure or a defect), so that a 500 under
 * load can be explained from the log. Interruptions (a client that went away)
 * are not errors. A `BusyError` is recognised before any response is
 * rendered: under overload most requests end that way.
 */
const logServerErrors = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.tapCause(app, (cause) =>
    Cause.hasInterruptsOnly(cause) || isBusy(cause)
      ? Effect.void
      : Effect.flatMap(HttpServerError.causeResponse(cause), ([response]) =>
        response.status >= 500 && response.status !== 503
          ? Effect.logError(`request failed (${response.status})`, cause)
          : Effect.void))

/**
 * The server, its routes over `AppLive`, and the graceful close, which is
 * built after the server so that its finalizer runs first: by the time
 * `NodeHttpServer`'s own runs, the server is closed.
 */
const Main = Layer.effectDiscard(Effect.addFinalizer(() => closeGracefully(server))).pipe(
  Layer.provideMerge(
    // Logs "Listening on http://127.0.0.1:8000" from the bound address.
    HttpRouter.serve(routes, { disableLogger: true, middleware: logServerErrors }).pipe(Layer.provide(AppLive))
  ),
  Layer.provide(HttpLive)
)

NodeRuntime.runMain(Layer.launch(Main))
