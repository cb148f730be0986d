/**
 * The overhead benchmark's server: one trivial route, `GET /`, answered
 * with "ok". `GUARDED=true` wraps it in `Limiter.withResources([Big])`,
 * where `Big`'s capacity is far above any load, so the guard never waits:
 * what is measured is the guard's own cost. `GUARDED=adaptive` guards it
 * with `BigAdaptive` instead, whose capacity is a `Limit.auto` held at the
 * same height (min = max), so that every call feeds the algorithm a sample
 * (its windows, its measurement) but the limit never binds: the cost of the
 * adaptive path. Every variant builds the same limiter layer, so the only
 * difference is the guard on the route.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Limit, Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"

const Big = Resource.make("Big", { capacity: 1_000_000 })
const BigAdaptive = Resource.make("BigAdaptive", {
  capacity: Limit.auto({ initial: 1_000_000, min: 1_000_000, max: 1_000_000 })
})

const ok = HttpServerResponse.text("ok")

const fixedRoute = ok.pipe(Limiter.withResources([Big]))
const adaptiveRoute = ok.pipe(Limiter.withResources([BigAdaptive]))
type Handler = Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  Effect.Effect.Error<typeof fixedRoute>,
  Effect.Effect.Context<typeof fixedRoute> | Effect.Effect.Context<typeof adaptiveRoute>
>

const route = Effect.gen(function* () {
  const guarded = yield* Config.literal("false", "true", "adaptive")("GUARDED")
  const handler: Handler = guarded === "true" ? fixedRoute : guarded === "adaptive" ? adaptiveRoute : ok
  return HttpRouter.empty.pipe(HttpRouter.get("/", handler))
})

const Main = Layer.unwrapEffect(Effect.map(route, (router) => HttpServer.serve(router))).pipe(
  HttpServer.withLogAddress,
  Layer.provide(Limiter.layer({ timeout: "5 seconds", resources: [Big, BigAdaptive] })),
  Layer.provide(
    NodeHttpServer.layerConfig(createServer, {
      port: Config.port("PORT"),
      host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    })
  )
)

NodeRuntime.runMain(Layer.launch(Main))
