/**
 * End to end over a real NodeHttpServer on an ephemeral 127.0.0.1 port, with
 * each of @effect/platform's three ways of declaring routes.
 */
import {
  HttpApi,
  HttpApiBuilder,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpClient,
  HttpLayerRouter,
  HttpRouter,
  HttpServer,
  HttpServerResponse,
  OpenApi
} from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Schema } from "effect"
import { BusyError, Limiter, Resource } from "effect-concurrency-limiter"
import { eventually, TestServer } from "./utils/TestServer.js"

const Db = Resource.make("Db", { capacity: 2 })

/** Holds every guarded request until the test opens it. */
class Gate extends Context.Tag("test/Gate")<Gate, Effect.Latch>() {
  static readonly layer = Layer.effect(Gate, Effect.makeLatch(false))
}

const LimiterLive = Limiter.layer({ timeout: "300 millis", resources: [Db] })

const dbUsage = Effect.flatMap(Db, (semaphore) => semaphore.stats)

const gated = Effect.flatMap(Gate, (gate) => gate.await)

const handler = gated.pipe(Effect.as(HttpServerResponse.text("done")), Limiter.withResources([Db]))
const patientHandler = gated.pipe(
  Effect.as(HttpServerResponse.text("done")),
  Limiter.withResources([Db], { timeout: "30 seconds" })
)

/** The same scenario for every router: fill the resource, see a 503, release, see 200s. */
const overflowScenario = (
  path: string,
  expectBusy: (response: { status: number; body: string; headers: Record<string, string> }) => void,
  okBody = "done"
) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const get = Effect.flatMap(client.get(path), (response) =>
      Effect.map(response.text, (body) => ({ status: response.status, body, headers: response.headers })))

    const within = yield* Effect.all([get, get], { concurrency: "unbounded" }).pipe(Effect.fork)
    yield* eventually(Effect.map(dbUsage, (s) => s.inUse === 2))

    const busy = yield* get
    expectBusy(busy)
    assert.deepStrictEqual(yield* dbUsage, { capacity: 2, inUse: 2, waiting: 0 })

    yield* Effect.flatMap(Gate, (gate) => gate.open)
    const served = yield* Fiber.join(within)
    assert.deepStrictEqual(served.map((r) => [r.status, r.body]), [[200, okBody], [200, okBody]])
    yield* eventually(Effect.map(dbUsage, (s) => s.inUse === 0))
  })

const expectPythonCompatible503 = (response: { status: number; body: string; headers: Record<string, string> }) => {
  assert.strictEqual(response.status, 503)
  assert.strictEqual(response.body, "{\"detail\":\"Server busy, please retry later\"}")
  assert.strictEqual(response.body, BusyError.responseBody)
  assert.strictEqual(response.headers["content-type"], "application/json")
  assert.strictEqual(response.headers["retry-after"], "1")
}

describe("HttpRouter", () => {
  const router = HttpRouter.empty.pipe(
    HttpRouter.get("/db", handler),
    HttpRouter.get("/patient", patientHandler),
    HttpRouter.get("/free", HttpServerResponse.text("free"))
  )
  const ServerLive = HttpServer.serve(router).pipe(
    Layer.provideMerge(Layer.mergeAll(LimiterLive, Gate.layer)),
    Layer.provideMerge(TestServer)
  )

  it.live("200 within capacity, 503 with the Python library's body and Retry-After past it", () =>
    overflowScenario("/db", expectPythonCompatible503).pipe(Effect.provide(ServerLive)))

  it.live("a client that disconnects while queued frees its place", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const holders = yield* Effect.all([client.get("/db"), client.get("/db")], { concurrency: "unbounded" }).pipe(
        Effect.fork
      )
      yield* eventually(Effect.map(dbUsage, (s) => s.inUse === 2))

      const queued = yield* client.get("/patient").pipe(Effect.fork)
      yield* eventually(Effect.map(dbUsage, (s) => s.waiting === 1))
      // Interrupting the client aborts its socket: the server interrupts the handler.
      yield* Fiber.interrupt(queued)
      yield* eventually(Effect.map(dbUsage, (s) => s.waiting === 0))
      assert.deepStrictEqual(yield* dbUsage, { capacity: 2, inUse: 2, waiting: 0 })

      // Unrelated routes are not held up by a full resource.
      const free = yield* client.get("/free")
      assert.strictEqual(free.status, 200)

      const gate = yield* Gate
      yield* gate.open
      yield* Fiber.join(holders)
      yield* eventually(Effect.map(dbUsage, (s) => s.inUse === 0))

      // No permit leaked: `capacity` requests run at once again.
      yield* gate.close
      const again = yield* Effect.all([client.get("/patient"), client.get("/patient")], { concurrency: "unbounded" })
        .pipe(Effect.fork)
      yield* eventually(Effect.map(dbUsage, (s) => s.inUse === 2 && s.waiting === 0))
      yield* gate.open
      const responses = yield* Fiber.join(again)
      assert.deepStrictEqual(responses.map((r) => r.status), [200, 200])
    }).pipe(Effect.provide(ServerLive)))
})

describe("HttpLayerRouter", () => {
  const Routes = HttpLayerRouter.add("GET", "/db", handler).pipe(
    Layer.provide(Layer.mergeAll(LimiterLive, Gate.layer))
  )
  const ServerLive = HttpLayerRouter.serve(Routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(Layer.mergeAll(LimiterLive, Gate.layer)),
    Layer.provideMerge(TestServer)
  )

  it.live("200 within capacity, 503 past it", () =>
    overflowScenario("/db", expectPythonCompatible503).pipe(Effect.provide(ServerLive)))
})

/** An `HttpApi` app whose one guarded endpoint declares `error` (`BusyError.HttpApiError` or the class). */
const apiDeclaring = (error: typeof BusyError.HttpApiError | typeof BusyError.BusyError) => {
  const Api = HttpApi.make("api").add(
    HttpApiGroup.make("messages").add(HttpApiEndpoint.get("list", "/db").addSuccess(Schema.String).addError(error))
  )
  const MessagesLive = HttpApiBuilder.group(Api, "messages", (handlers) =>
    handlers.handle("list", () => gated.pipe(Effect.as("done"), Limiter.withResources([Db]))))
  const ServerLive = HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiBuilder.api(Api).pipe(Layer.provide(MessagesLive))),
    Layer.provideMerge(Layer.mergeAll(LimiterLive, Gate.layer)),
    Layer.provideMerge(TestServer)
  )
  return { Api, ServerLive }
}

describe("HttpApiBuilder", () => {
  const { Api, ServerLive } = apiDeclaring(BusyError.HttpApiError)

  it.live("200 within capacity, 503 past it: the same bytes and headers as HttpRouter's", () =>
    overflowScenario("/db", expectPythonCompatible503, JSON.stringify("done")).pipe(Effect.provide(ServerLive)))

  it("declares the 503 and its body in the OpenAPI document", () => {
    const spec = OpenApi.fromApi(Api)
    const responses = spec.paths["/db"].get!.responses
    assert.property(responses, "503")
    assert.strictEqual(responses["503"].description, "The server is busy: retry later.")
    const schema = responses["503"].content!["application/json"]!.schema as { $ref: string }
    assert.strictEqual(schema.$ref, "#/components/schemas/BusyError")
    assert.deepStrictEqual(spec.components.schemas.BusyError, {
      type: "object",
      required: ["detail"],
      properties: { detail: { type: "string", enum: [BusyError.detail] } },
      additionalProperties: false,
      description: "The server is busy: retry later."
    })
  })

  describe("an endpoint that declares the BusyError class itself", () => {
    const declaringClass = apiDeclaring(BusyError.BusyError)

    it.live("answers the same 503, byte for byte and with Retry-After", () =>
      overflowScenario("/db", expectPythonCompatible503, JSON.stringify("done")).pipe(
        Effect.provide(declaringClass.ServerLive)
      ))

    it("is documented as HttpApiError is", () => {
      assert.deepStrictEqual(OpenApi.fromApi(declaringClass.Api), OpenApi.fromApi(Api))
    })
  })

  it.effect("a client decoding the 503 body gets a BusyError", () =>
    Effect.gen(function*() {
      const error = yield* Schema.decodeUnknown(BusyError.HttpApiError)(JSON.parse(BusyError.responseBody))
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual(error.resource, "(remote)")
    }))
})
