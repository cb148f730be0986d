/**
 * The quick start on Effect 4, end to end: an `HttpRouter` app on a real
 * `NodeHttpServer` on 127.0.0.1:0, one route guarded by
 * `Limiter.withResources([Db])`, `Db` of capacity 1 and a 1-second timeout.
 * The first request holds `Db` and gets its 200; the second, sent while the
 * first holds it, gets the 503 of the Effect 3 line's quick start after
 * that second, byte for byte (read off a bare socket), with `Retry-After: 1`.
 * An unguarded route answers all along.
 */
import { Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import * as Net from "node:net"
import { type RawResponse, TestServer } from "./utils/TestServer.js"

/**
 * GETs `path` over a bare TCP socket and reads the bytes the server wrote.
 * The socket is not half-closed after the request (the server would take
 * that for a client gone away, and interrupt a handler still waiting):
 * `Connection: close` has the server close it after the response.
 */
const rawGet = (path: string): Effect.Effect<RawResponse, Error, HttpServer.HttpServer> =>
  Effect.flatMap(HttpServer.HttpServer, (server) => {
    const address = server.address
    if (address._tag === "UnixPathAddress") return Effect.fail(new Error("not a TCP server"))
    return Effect.callback<RawResponse, Error>((resume) => {
      const chunks: Array<Buffer> = []
      const socket = Net.connect({ host: "127.0.0.1", port: address.port }, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
      })
      socket.on("data", (chunk) => chunks.push(chunk))
      socket.on("error", (error) => resume(Effect.fail(error)))
      socket.on("close", () => {
        const text = Buffer.concat(chunks).toString("latin1")
        const split = text.indexOf("\r\n\r\n")
        const [statusLine, ...headerLines] = text.slice(0, split).split("\r\n")
        resume(Effect.succeed({ statusLine, headerLines, body: text.slice(split + 4) }))
      })
      return Effect.sync(() => socket.destroy())
    })
  })

const Db = Resource.make("Db", { capacity: 1 })
const LimiterLive = Limiter.layer({ timeout: "1 second", resources: [Db] })

describe("the quick start on Effect 4", () => {
  it.live("answers 200, then the 503 with Retry-After for a request that cannot get Db in time", () =>
    Effect.gen(function*() {
      // The "query" holds Db until the test lets it go, instead of sleeping
      // 2 seconds: the second request's refusal does not depend on timing.
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const slowQuery = Deferred.succeed(entered, undefined).pipe(
        Effect.andThen(Deferred.await(release)),
        Effect.as({ rows: 42 })
      )
      const Routes = Layer.mergeAll(
        HttpRouter.add(
          "GET",
          "/report",
          slowQuery.pipe(Effect.flatMap((body) => HttpServerResponse.json(body)), Limiter.withResources([Db]))
        ),
        HttpRouter.add("GET", "/health", HttpServerResponse.text("ok"))
      )
      const ServerLive = HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true }).pipe(
        Layer.provideMerge(LimiterLive),
        Layer.provideMerge(TestServer)
      )

      yield* Effect.gen(function*() {
        const first = yield* Effect.forkChild(rawGet("/report"))
        yield* Deferred.await(entered)

        const startedAt = Date.now()
        const second = yield* rawGet("/report")
        const waited = Date.now() - startedAt
        assert.isAtLeast(waited, 950, "refused at the deadline, not before")
        assert.strictEqual(second.statusLine, "HTTP/1.1 503 Service Unavailable")
        assert.deepStrictEqual(second.headerLines.filter((line) => !line.startsWith("Date: ")), [
          "content-type: application/json",
          "content-length: 44",
          "retry-after: 1",
          "Connection: close"
        ])
        assert.strictEqual(second.body, "{\"detail\":\"Server busy, please retry later\"}")

        // Db is still held: the unguarded route answers all along.
        const health = yield* rawGet("/health")
        assert.strictEqual(health.statusLine, "HTTP/1.1 200 OK")
        assert.strictEqual(health.body, "ok")

        yield* Deferred.succeed(release, undefined)
        const served = yield* Fiber.join(first)
        assert.strictEqual(served.statusLine, "HTTP/1.1 200 OK")
        assert.strictEqual(served.body, "{\"rows\":42}")

        // Db is free again: the next request is served at once.
        const again = yield* rawGet("/report")
        assert.strictEqual(again.statusLine, "HTTP/1.1 200 OK")
        const stats = yield* Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats)
        assert.deepStrictEqual(stats.map((s) => [s.resource, s.inUse, s.waiting]), [["Db", 0, 0]])
      }).pipe(Effect.provide(ServerLive))
    }), 20_000)
})
