/**
 * The example app end to end: served by NodeHttpServer on an ephemeral
 * 127.0.0.1 port, over the embedded database and, when one is reachable at
 * 127.0.0.1:5432, over PostgreSQL (in its own database, `ecl_test`, so the
 * benchmark's data is never touched).
 */
import { HttpClient, HttpClientResponse, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it, layer } from "@effect/vitest"
import type { Vitest } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, Schedule, Schema } from "effect"
import { Limiter } from "effect-concurrency-limiter"
import * as Net from "node:net"
import { AppLive, routes } from "../examples/App.js"
import { Db } from "../examples/Resources.js"
import { fileSize } from "../examples/files.js"
import { generate } from "../examples/shared/seedData.js"

const rows = 3000

const Message = Schema.Struct({
  message_id: Schema.Number,
  user_id: Schema.Number,
  message: Schema.String,
  created_at: Schema.String
})
const Messages = Schema.Array(Message)

/** The app on a random port, configured by `env` alone (never the real environment). */
const serve = (env: Record<string, string>) =>
  HttpServer.serve(routes).pipe(
    Layer.provide(AppLive),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson(env)))
  )

const get = (path: string) => HttpClient.get(path).pipe(Effect.scoped)

const routesSuite = (it: Vitest.MethodsNonLive<HttpClient.HttpClient, true>) => {
  it.effect("GET /messages?user_id=7 returns up to 100 of user 7's messages", () =>
    Effect.gen(function*() {
      const res = yield* get("/messages?user_id=7")
      assert.strictEqual(res.status, 200)
      const body = yield* HttpClientResponse.schemaBodyJson(Messages)(res)
      assert.isAbove(body.length, 0)
      assert.isAtMost(body.length, 100)
      for (const m of body) {
        assert.strictEqual(m.user_id, 7)
        const words = m.message.split(" ").length
        assert.isTrue(words >= 5 && words <= 30, m.message)
      }
    }).pipe(Effect.scoped))

  it.effect("GET /messages defaults to user 1, as the original", () =>
    Effect.gen(function*() {
      const body = yield* get("/messages").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Messages)))
      assert.isAbove(body.length, 0)
      assert.isTrue(body.every((m) => m.user_id === 1))
    }))

  it.effect("GET /messages?user_id=abc is a 400", () =>
    Effect.gen(function*() {
      const res = yield* get("/messages?user_id=abc")
      assert.strictEqual(res.status, 400)
    }))

  it.effect("GET /file returns the 5,000-character file", () =>
    Effect.gen(function*() {
      const res = yield* get("/file")
      assert.strictEqual(res.status, 200)
      const text = yield* res.text
      assert.strictEqual(text.length, fileSize)
      assert.match(text, /^[A-Za-z0-9]+$/)
    }))

  it.effect("GET /messages-and-file returns both", () =>
    Effect.gen(function*() {
      const body = yield* get("/messages-and-file").pipe(
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Schema.Struct({ messages: Messages, file: Schema.String })))
      )
      assert.isAbove(body.messages.length, 0)
      assert.strictEqual(body.file.length, fileSize)
    }))
}

describe("seed generator", () => {
  it("is deterministic and shaped like the original data", () => {
    const [a] = generate(500)
    const [b] = generate(500)
    assert.deepStrictEqual(a, b)
    assert.strictEqual(a.userIds.length, 500)
    assert.isTrue(a.userIds.every((u) => Number.isInteger(u) && u >= 1 && u <= 1000))
    assert.isTrue(a.messages.every((m) => {
      const n = m.split(" ").length
      return n >= 5 && n <= 30
    }))
    assert.isTrue(a.createdAts.every((d) => d.startsWith("2025-")))
  })

  it("batches lazily", () => {
    assert.deepStrictEqual(Array.from(generate(25, 10), (b) => b.userIds.length), [10, 10, 5])
  })
})

describe("embedded database", () => {
  layer(serve({ EMBEDDED_ROWS: String(rows) }), { timeout: "2 minutes", excludeTestServices: true })(
    (it) => routesSuite(it)
  )
})

/** Ten concurrent `/messages` requests: their statuses and the 503 bodies. */
const burst = Effect.all(
  Array.from({ length: 10 }, () =>
    get("/messages").pipe(Effect.flatMap((res) => Effect.map(res.text, (body) => ({ status: res.status, body }))))
  ),
  { concurrency: "unbounded" }
)

describe("embedded database, Db capacity 1, no waiting", () => {
  // The app's limiter and `Db` too, so that the test can hold the database
  // rather than hope that ten requests overlap.
  const app = HttpServer.serve(routes).pipe(
    Layer.provideMerge(AppLive),
    Layer.provideMerge(NodeHttpServer.layerTest),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ EMBEDDED_ROWS: "20000", DB_CONCURRENCY: "1", LIMITER_TIMEOUT: "0 millis" })))
  )
  layer(app, { timeout: "2 minutes", excludeTestServices: true })((it) => {
    it.effect("a request that finds the database busy gets the 503, and one that finds it free a 200", () =>
      Effect.gen(function*() {
        const inUse = Effect.map(Effect.flatMap(Db, (db) => db.stats), (s) => s.inUse)
        const gate = yield* Effect.makeLatch(false)
        const holder = yield* Effect.fork(gate.await.pipe(Limiter.withResources([Db])))
        yield* Effect.repeat(inUse, { until: (n) => n === 1, schedule: Schedule.spaced("5 millis") })
        const results = yield* burst
        assert.deepStrictEqual(results.map((r) => r.status), Array(10).fill(503))
        assert.deepStrictEqual(JSON.parse(results[0].body), { detail: "Server busy, please retry later" })
        yield* gate.open
        yield* Fiber.join(holder)
        const after = yield* get("/messages")
        assert.strictEqual(after.status, 200)
      }))
  })
})

describe("embedded database, LIMITER_ENABLED=false", () => {
  layer(
    serve({ EMBEDDED_ROWS: "20000", DB_CONCURRENCY: "1", LIMITER_TIMEOUT: "0 millis", LIMITER_ENABLED: "false" }),
    { timeout: "2 minutes", excludeTestServices: true }
  )((it) => {
    it.effect("the same burst is all 200s: the limiter passes everything through", () =>
      Effect.gen(function*() {
        const results = yield* burst
        assert.deepStrictEqual(results.map((r) => r.status), Array(10).fill(200))
      }))
  })
})

/** Whether something accepts TCP connections at 127.0.0.1:5432 within half a second. */
const postgresReachable = await new Promise<boolean>((resolve) => {
  const socket = Net.connect({ host: "127.0.0.1", port: 5432, timeout: 500 })
  const done = (ok: boolean) => {
    socket.destroy()
    resolve(ok)
  }
  socket.once("connect", () => done(true)).once("timeout", () => done(false)).once("error", () => done(false))
})

/**
 * Creates the `ecl_test` database if missing: the tests' own, apart from the
 * benchmark's. "Already exists" from a concurrent run is fine too.
 */
const ensureTestDatabase = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const found = yield* sql`SELECT 1 FROM pg_database WHERE datname = 'ecl_test'`
  if (found.length === 0) {
    yield* sql`CREATE DATABASE ecl_test`.pipe(
      Effect.catchIf((e) => String(e.cause).includes("already exists"), () => Effect.void)
    )
  }
}).pipe(
  Effect.provide(PgClient.layer({ host: "127.0.0.1", port: 5432, username: "postgres", database: "postgres" }))
)

describe("PostgreSQL", () => {
  if (!postgresReachable) {
    it.skip("PostgreSQL was not reachable at 127.0.0.1:5432, so the app was not tested against it", () => {})
    return
  }
  const testLayer = Layer.unwrapEffect(
    ensureTestDatabase.pipe(
      Effect.as(serve({
        DATABASE_URL: "postgres://postgres@127.0.0.1:5432/ecl_test",
        SEED_ROWS: String(rows),
        DB_POOL_SIZE: "10"
      }))
    )
  )
  layer(testLayer, { timeout: "2 minutes", excludeTestServices: true })((it) => routesSuite(it))
})
