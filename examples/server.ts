/**
 * The example server: `npm start`.
 *
 * Serves `/messages`, `/file` and `/messages-and-file` on http://127.0.0.1:8000
 * with `NodeHttpServer`, over the embedded database, or PostgreSQL when
 * `DATABASE_URL` is set. Settings: see `AppConfig.ts`.
 *
 * `NodeRuntime.runMain` turns SIGINT/SIGTERM into interruption: the layers
 * then close in reverse, so the HTTP server, the pool and the embedded
 * database's worker all stop, and the process exits by itself.
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Layer } from "effect"
import { createServer } from "node:http"
import { AppLive, routes } from "./App.js"
import * as AppConfig from "./AppConfig.js"

const HttpLive = NodeHttpServer.layerConfig(createServer, {
  port: AppConfig.port,
  host: AppConfig.host
})

const Main = HttpServer.serve(routes).pipe(
  // Logs "Listening on http://127.0.0.1:8000" from the bound address.
  HttpServer.withLogAddress,
  Layer.provide(AppLive),
  Layer.provide(HttpLive)
)

NodeRuntime.runMain(Layer.launch(Main))

