/**
 * The overhead benchmark's server: one trivial route, `GET /`, answered
 * with "ok". `GUARDED=true` wraps it in `Limiter.withResources([Big])`,
 * where `Big`'s capacity is far above any load, so the guard never waits:
 * what is measured is the guard's own cost. Both variants build the same
 * limiter layer, so the only difference is the guard on the route.
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"

const Big = Resource.make("Big", { capacity: 1_000_000 })

const ok = HttpServerResponse.text("ok")

const route = Effect.gen(function* () {
  const guarded = yield* Config.boolean("GUARDED")
  return HttpRouter.empty.pipe(HttpRouter.get("/", guarded ? ok.pipe(Limiter.withResources([Big])) : ok))
})

const Main = Layer.unwrapEffect(Effect.map(route, (router) => HttpServer.serve(router))).pipe(
  HttpServer.withLogAddress,
  Layer.provide(Limiter.layer({ timeout: "5 seconds", resources: [Big] })),
  Layer.provide(
    NodeHttpServer.layerConfig(createServer, {
      port: Config.port("PORT"),
      host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    })
  )
)

NodeRuntime.runMain(Layer.launch(Main))
