/**
 * The README's quick start, kept here so that the compiler checks it.
 * Run it with `npx tsx examples/quickstart.ts`.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"

// 1. Declare a shared resource and how many requests may use it at once.
const Db = Resource.make("Db", { capacity: 1 })

// 2. One limiter owns the resources. A request that would wait longer than
//    the timeout gets a 503 at once instead of piling up.
const LimiterLive = Limiter.layer({ timeout: "1 second", resources: [Db] })

// 3. Guard the handlers that use it.
const slowQuery = Effect.sleep("2 seconds").pipe(Effect.as({ rows: 42 })) // stands in for your query

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/report", slowQuery.pipe(Effect.flatMap(HttpServerResponse.json), Limiter.withResources([Db]))),
  HttpRouter.get("/health", HttpServerResponse.text("ok"))
)

// 4. Provide the limiter like any other dependency.
HttpServer.serve(router).pipe(
  HttpServer.withLogAddress,
  Layer.provide(LimiterLive),
  Layer.provide(NodeHttpServer.layer(createServer, { port: Number(process.env.PORT ?? 8000), host: "127.0.0.1" })),
  Layer.launch,
  NodeRuntime.runMain
)
