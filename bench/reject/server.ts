/**
 * The reject benchmark's server. `GET /busy` is guarded by `Held`, a
 * resource of capacity 1 whose only permit is taken at start-up and never
 * released, so every request to it queues and ends in a 503 once the
 * limiter's timeout (`TIMEOUT_MS`) passes: the reject path and nothing else.
 * Two yardsticks: `GET /ok`, an unguarded trivial route (what the HTTP
 * layer alone costs per request), and `GET /parked`, which sleeps for the
 * timeout and then fails with the same `BusyError`, without any limiter (the
 * floor: what a request parked for the timeout and refused costs anyway).
 */
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Duration, Effect, Layer } from "effect"
import { BusyError, Limiter, Resource } from "effect-concurrency-limiter"
import { createServer } from "node:http"

const Held = Resource.make("Held", { capacity: 1 })

const ok = HttpServerResponse.text("ok")

const parked = Effect.gen(function*() {
  const timeoutMs = yield* Config.integer("TIMEOUT_MS").pipe(Config.withDefault(1000))
  const refusal = new BusyError.BusyError({ resource: "Held", waited: Duration.millis(timeoutMs) })
  return Effect.zipRight(Effect.sleep(Duration.millis(timeoutMs)), Effect.fail(refusal))
})

const router = Effect.map(parked, (parked) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/ok", ok),
    HttpRouter.get("/busy", ok.pipe(Limiter.withResources([Held]))),
    HttpRouter.get("/parked", parked)
  ))

/** Takes `Held`'s only permit for the life of the server. */
const HoldTheResource = Layer.effectDiscard(Effect.flatMap(Held, (semaphore) => semaphore.take(1)))

const LimiterLive = Limiter.layer({
  timeout: Config.integer("TIMEOUT_MS").pipe(Config.withDefault(1000)),
  resources: [Held]
})

const Main = Layer.unwrapEffect(Effect.map(router, (router) => HttpServer.serve(router))).pipe(
  HttpServer.withLogAddress,
  Layer.provide(HoldTheResource),
  Layer.provide(LimiterLive),
  Layer.provide(
    NodeHttpServer.layerConfig(createServer, {
      port: Config.port("PORT"),
      host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
    })
  )
)

NodeRuntime.runMain(Layer.launch(Main))
