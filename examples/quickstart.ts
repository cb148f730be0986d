/**
 * The README's quick start, kept here so that the compiler checks it.
 * Run it with `npx tsx examples/quickstart.ts`.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"

// 1. Declare the resources and their capacities.
const Db = Resource.make("Db", { capacity: 5 })
const Fs = Resource.make("Fs", { capacity: 10 })

// 2. One limiter owns them. The list order is the acquisition order.
const LimiterLive = Limiter.layer({ timeout: "5 seconds", resources: [Db, Fs] })

// 3. Guard the handlers.
const queryMessages = Effect.succeed([{ message_id: 1 }]) // your query
const readFile = Effect.succeed("…") // your file read

const router = HttpRouter.empty.pipe(
  HttpRouter.get("/messages", queryMessages.pipe(Effect.flatMap(HttpServerResponse.json), Limiter.withResources([Db]))),
  HttpRouter.get("/file", readFile.pipe(Effect.map(HttpServerResponse.text), Limiter.withResources([Fs]))),
  HttpRouter.get(
    "/messages-and-file",
    Effect.zip(queryMessages, readFile).pipe(Effect.flatMap(HttpServerResponse.json), Limiter.withResources([Db, Fs]))
  )
)

// 4. Provide the limiter like any other dependency.
HttpServer.serve(router).pipe(
  HttpServer.withLogAddress,
  Layer.provide(LimiterLive),
  Layer.provide(NodeHttpServer.layer(createServer, { port: 8000, host: "127.0.0.1" })),
  Layer.launch,
  NodeRuntime.runMain
)
