/**
 * The Effect 4 line's example app end to end, like the Effect 3 line's
 * test/example-server.test.ts: served by NodeHttpServer on an ephemeral
 * 127.0.0.1 port, over the embedded database and, when one is reachable at
 * 127.0.0.1:5432, over PostgreSQL (in its own database, `ecl_test`, so the
 * benchmark's data is never touched). Real clock: a real server and database.
 */
import { BusyError, Limiter, type Resource } from "@effect-concurrency-limiter/effect4"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it, layer } from "@effect/vitest"
import type { Vitest } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpRouter from "effect/http/HttpRouter"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import * as Net from "node:net"
import { AppLive, routes } from "../examples/App.js"
import { fileSize } from "../examples/files.js"
import { Db } from "../examples/Resources.js"
import { REDIS_URL, withClient } from "./utils/redis.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"
import { TestServer } from "./utils/TestServer.js"

const rows = 3000

const Message = Schema.Struct({
  message_id: Schema.Number,
  user_id: Schema.Number,
  message: Schema.String,
  created_at: Schema.String
})
const Messages = Schema.Array(Message)

/** The settings `env` gives, and nothing from the real environment. */
const configFrom = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

/**
 * The app on a random port, configured by `env` alone. `AppLive` is built
 * outside `serve`, so a test shares the server's limiter and `Db`.
 */
const serve = (env: Record<string, string>) =>
  HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(AppLive),
    Layer.provideMerge(TestServer),
    Layer.provide(configFrom(env))
  )

const get = (path: string) => Effect.flatMap(HttpClient.HttpClient, (client) => client.get(path))

const routesSuite = (it: Vitest.MethodsNonLive<HttpClient.HttpClient>) => {
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
    }))

  it.effect("GET /messages defaults to user 1, as the original", () =>
    Effect.gen(function*() {
      const body = yield* get("/messages").pipe(Effect.flatMap(HttpClientResponse.schemaBodyJson(Messages)))
      assert.isAbove(body.length, 0)
      assert.isTrue(body.every((m) => m.user_id === 1))
    }))

  it.effect("GET /messages with a user_id that is not an integer from 1 to 1000 is a 400", () =>
    Effect.gen(function*() {
      for (const userId of ["abc", "0", "1001", "1.5"]) {
        const res = yield* get(`/messages?user_id=${userId}`)
        assert.strictEqual(res.status, 400, userId)
        assert.deepStrictEqual(yield* res.json, { detail: "user_id must be an integer from 1 to 1000" })
      }
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

  it.effect("GET /metrics answers the limiter's series in the Prometheus text format", () =>
    Effect.gen(function*() {
      const res = yield* get("/metrics")
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
      const text = yield* res.text
      // What the benchmark samples `Db`'s capacity from (bench/load/capacity.ts).
      assert.include(text, `limiter_capacity{limiter="default",resource="Db"} 5`)
      assert.include(text, `limiter_capacity{limiter="default",resource="Fs"} 10`)
    }))
}

describe("embedded database", () => {
  layer(serve({ EMBEDDED_ROWS: String(rows) }), { timeout: "2 minutes", excludeTestServices: true })(
    (it) => routesSuite(it)
  )
})

/** Ten concurrent `/messages` requests: their statuses and bodies. */
const burst = Effect.all(
  Array.from({ length: 10 }, () =>
    get("/messages").pipe(Effect.flatMap((res) => Effect.map(res.text, (body) => ({ status: res.status, body }))))
  ),
  { concurrency: "unbounded" }
)

/**
 * The test holds `Db` itself (through the server's own limiter), rather than
 * hoping that ten requests overlap; with `LIMITER_TIMEOUT=0` every request
 * that finds it held is refused at once. `whileHeld` checks where the permit is.
 */
const heldDbSuite = (whileHeld: Effect.Effect<void> = Effect.void) =>
(it: Vitest.MethodsNonLive<HttpClient.HttpClient | Limiter.Limiter | Resource.Resource.Identifier<"Db">>) =>
  it.effect("a request that finds the database held gets the 503, and one that finds it free a 200", () =>
    Effect.gen(function*() {
      const held = yield* Deferred.make<void>()
      const gate = yield* Latch.make(false)
      const holder = yield* Effect.forkChild(
        Deferred.succeed(held, undefined).pipe(Effect.andThen(gate.await), Limiter.withResources([Db]))
      )
      yield* Deferred.await(held)
      yield* whileHeld
      const results = yield* burst
      assert.deepStrictEqual(results.map((r) => r.status), Array(10).fill(503))
      assert.strictEqual(results[0].body, BusyError.responseBody)
      assert.deepStrictEqual(JSON.parse(results[0].body), { detail: "Server busy, please retry later" })
      yield* gate.open
      yield* Fiber.join(holder)
      const after = yield* get("/messages")
      assert.strictEqual(after.status, 200)
    }))

const heldDbEnv = { EMBEDDED_ROWS: "20000", DB_CONCURRENCY: "1", LIMITER_TIMEOUT: "0 millis" }

describe("embedded database, Db capacity 1, no waiting", () => {
  layer(serve(heldDbEnv), { timeout: "2 minutes", excludeTestServices: true })(heldDbSuite())
})

describe("embedded database, Db capacity 1, no waiting, permits in Redis (LIMITER_REDIS_URL)", () => {
  if (skippedWithoutRedis()) return
  const prefix = cleanedPrefixes()("example-server")
  layer(
    serve({ ...heldDbEnv, LIMITER_REDIS_URL: REDIS_URL, LIMITER_REDIS_PREFIX: prefix }),
    { timeout: "2 minutes", excludeTestServices: true }
  )(heldDbSuite(
    // The permit is in Redis, under the prefix the app was given: not an in-process limiter's.
    Effect.promise(() => withClient((redis) => redis.keys(`${prefix}:*`))).pipe(
      Effect.map((keys) => assert.isAbove(keys.length, 0, `no key under ${prefix}`))
    )
  ))
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
  const testLayer = Layer.unwrap(
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
