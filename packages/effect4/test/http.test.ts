/**
 * The 503 of a `BusyError` end to end, over a real NodeHttpServer on an
 * ephemeral 127.0.0.1 port: from an `HttpRouter` handler that fails with it,
 * and from `HttpApi` endpoints that declare it (the class, or
 * `BusyError.HttpApiError`). The bytes are read off a bare socket.
 */
import { BusyError } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpApi from "effect/http-api/HttpApi"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import * as HttpApiClient from "effect/http-api/HttpApiClient"
import * as HttpApiEndpoint from "effect/http-api/HttpApiEndpoint"
import * as HttpApiGroup from "effect/http-api/HttpApiGroup"
import * as OpenApi from "effect/http-api/OpenApi"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { type RawResponse, rawGet, TestServer } from "./utils/TestServer.js"

/** Waited 1.5 s: `Retry-After: 2`, not the 1 of a refusal that did not wait. */
const timedOut = new BusyError.BusyError({ resource: "Db", waited: Duration.millis(1_500) })
const queueFull = new BusyError.BusyError({ resource: "Db", waited: Duration.zero, reason: "queue-full" })

/** The answer the Python library gives, and Effect 3's line; the date aside. */
const expectBusy = (response: RawResponse, retryAfter: string) => {
  assert.strictEqual(response.statusLine, "HTTP/1.1 503 Service Unavailable")
  assert.deepStrictEqual(response.headerLines.filter((line) => !line.startsWith("Date: ")), [
    "content-type: application/json",
    "content-length: 44",
    `retry-after: ${retryAfter}`,
    "Connection: close"
  ])
  assert.strictEqual(response.body, "{\"detail\":\"Server busy, please retry later\"}")
  assert.strictEqual(response.body, BusyError.responseBody)
}

const withoutDate = (response: RawResponse) => ({
  ...response,
  headerLines: response.headerLines.filter((line) => !line.startsWith("Date: "))
})

/** Two endpoints, one per way of declaring the error, on the same server as the router's routes. */
const Api = HttpApi.make("api").add(
  HttpApiGroup.make("messages")
    .add(HttpApiEndpoint.get("byClass", "/api/class", { success: Schema.String, error: BusyError.BusyError }))
    .add(HttpApiEndpoint.get("bySchema", "/api/schema", { success: Schema.String, error: BusyError.HttpApiError }))
    .add(HttpApiEndpoint.get("queueFull", "/api/queue-full", { success: Schema.String, error: BusyError.BusyError }))
    .add(HttpApiEndpoint.get("free", "/api/free", { success: Schema.String, error: BusyError.BusyError }))
)
const MessagesLive = HttpApiBuilder.group(Api, "messages", (handlers) =>
  handlers
    .handle("byClass", () => Effect.fail(timedOut))
    .handle("bySchema", () => Effect.fail(timedOut))
    .handle("queueFull", () => Effect.fail(queueFull))
    .handle("free", () => Effect.succeed("free")))

const Routes = Layer.mergeAll(
  // Fails after some work, as a guarded handler does: nothing renders the error but itself.
  HttpRouter.add("GET", "/router", Effect.flatMap(Effect.yieldNow, () => Effect.fail(timedOut))),
  HttpRouter.add("GET", "/router/queue-full", Effect.fail(queueFull)),
  HttpRouter.add("GET", "/router/free", HttpServerResponse.text("free")),
  HttpApiBuilder.layer(Api).pipe(Layer.provide(MessagesLive))
)
const ServerLive = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true }).pipe(
  Layer.provideMerge(TestServer)
)

describe("HttpRouter", () => {
  it.live("a handler failing with a BusyError answers the Python library's 503, with Retry-After", () =>
    Effect.gen(function*() {
      expectBusy(yield* rawGet("/router"), "2")
      expectBusy(yield* rawGet("/router/queue-full"), "1")
      // Other routes are untouched.
      const free = yield* rawGet("/router/free")
      assert.strictEqual(free.statusLine, "HTTP/1.1 200 OK")
      assert.strictEqual(free.body, "free")
    }).pipe(Effect.provide(ServerLive)))

  it.live("as an HttpClient reads it", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get("/router")
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers["content-type"], "application/json")
      assert.strictEqual(response.headers["retry-after"], "2")
      assert.deepStrictEqual(yield* response.json, { detail: BusyError.detail })
    }).pipe(Effect.provide(ServerLive)))
})

describe("HttpApi", () => {
  it.live("an endpoint declaring the class answers the same bytes as HttpRouter's", () =>
    Effect.gen(function*() {
      const router = yield* rawGet("/router")
      const byClass = yield* rawGet("/api/class")
      expectBusy(byClass, "2")
      assert.deepStrictEqual(withoutDate(byClass), withoutDate(router))
      expectBusy(yield* rawGet("/api/queue-full"), "1")
    }).pipe(Effect.provide(ServerLive)))

  it.live("an endpoint declaring BusyError.HttpApiError answers the same bytes", () =>
    Effect.gen(function*() {
      const bySchema = yield* rawGet("/api/schema")
      expectBusy(bySchema, "2")
      assert.deepStrictEqual(withoutDate(bySchema), withoutDate(yield* rawGet("/router")))
      const free = yield* rawGet("/api/free")
      assert.strictEqual(free.statusLine, "HTTP/1.1 200 OK")
      assert.strictEqual(free.body, JSON.stringify("free"))
    }).pipe(Effect.provide(ServerLive)))

  it.live("an HttpApiClient decodes the 503 as a BusyError", () =>
    Effect.gen(function*() {
      const client = yield* HttpApiClient.make(Api)
      const error = yield* Effect.flip(client.messages.byClass())
      assert.instanceOf(error, BusyError.BusyError)
      assert.strictEqual(error._tag, "BusyError")
      if (!(error instanceof BusyError.BusyError)) return
      // The body does not say which resource was busy, by design.
      assert.strictEqual(error.resource, "(remote)")
      assert.strictEqual(error.reason, "timeout")
      assert.strictEqual(yield* client.messages.free(), "free")
    }).pipe(Effect.provide(ServerLive)))
})

describe("OpenAPI", () => {
  const apiDeclaring = (error: Schema.Top) =>
    HttpApi.make("api").add(
      HttpApiGroup.make("messages").add(HttpApiEndpoint.get("list", "/db", { success: Schema.String, error }))
    )

  it("documents the 503: its body and its Retry-After header", () => {
    const spec = OpenApi.fromApi(apiDeclaring(BusyError.BusyError))
    const busy = spec.paths["/db"].get!.responses["503"]
    assert.strictEqual(busy.description, "The server is busy: retry later.")
    assert.deepStrictEqual(busy.content, {
      "application/json": { schema: { $ref: "#/components/schemas/BusyError" } }
    })
    assert.deepStrictEqual(busy.headers, { "retry-after": { schema: { type: "string" }, required: true } })
    assert.deepStrictEqual(spec.components.schemas.BusyError, {
      type: "object",
      required: ["detail"],
      properties: { detail: { type: "string", enum: [BusyError.detail] } },
      additionalProperties: false,
      description: "The server is busy: retry later."
    })
  })

  it("declaring the class or HttpApiError is the same document", () => {
    assert.deepStrictEqual(
      OpenApi.fromApi(apiDeclaring(BusyError.BusyError)),
      OpenApi.fromApi(apiDeclaring(BusyError.HttpApiError))
    )
  })

  it("the class annotated describes the same 503 in other words", () => {
    const api = HttpApi.make("api").add(
      HttpApiGroup.make("messages").add(
        HttpApiEndpoint.get("list", "/db", {
          success: Schema.String,
          error: BusyError.BusyError.annotate({ description: "Too many readers: retry later." })
        })
      )
    )
    const busy = OpenApi.fromApi(api).paths["/db"].get!.responses["503"]
    assert.strictEqual(busy.description, "Too many readers: retry later.")
    assert.property(busy.headers, "retry-after")
  })
})
