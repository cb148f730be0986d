import { HttpServer } from "@effect/platform"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Schedule } from "effect"
import { createServer } from "node:http"

/**
 * A real Node HTTP server on an ephemeral port on 127.0.0.1, and an
 * `HttpClient` whose relative URLs point at it.
 */
export const TestServer = HttpServer.layerTestClient.pipe(
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
)

/**
 * Re-checks `condition` every few milliseconds until it holds, for at most
 * `timeout`. The conditions (a request reached its handler, a socket
 * closed) hold within milliseconds, and one that never holds is the defect:
 * the default, 20 s, is clear of the stalls of a loaded machine and below
 * the 30 s test timeout, so that a failure names the condition.
 */
export const eventually = <E, R>(condition: Effect.Effect<boolean, E, R>, timeout = "20 seconds" as const) =>
  condition.pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("5 millis") }),
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`condition not met within ${timeout}`) })
  )
