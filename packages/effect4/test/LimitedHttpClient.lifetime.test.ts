/**
 * How long a call of the limited client holds its permits, and what its
 * release teaches an adaptive limit: the permits are taken in the caller's
 * fiber (`Limiter.acquire`) and released with the call's real ending; a
 * body nobody reads gives them back a bounded time after its headers, in a
 * scope or not. Time is the TestClock's. The Effect 3 line's
 * test/LimitedHttpClient.lifetime.test.ts.
 */
import { Limit, LimitedHttpClient, Limiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { controlledBody, fakeClient, outsideAnyScope, until, usage } from "./utils/FakeUpstream.js"

const URL = "http://api.test/items/1"

const capacityOf = (name: string) =>
  Effect.flatMap(Limiter.Limiter, (l) => Effect.map(l.stats, (all) => all.find((s) => s.resource === name)!.capacity))

describe("LimitedHttpClient teaches an adaptive limit as a direct guard does", () => {
  const aimd = () => Limit.aimd({ initial: 1, min: 1, max: 10, backoffRatio: 0.5 })

  it.effect("AIMD from 1 grows to 2 after one call read to its end, as after one guarded call", () => {
    const Direct = Resource.make("LifetimeDirect", { capacity: aimd() })
    const Client = Resource.make("LifetimeClient", { capacity: aimd() })
    return Effect.gen(function*() {
      yield* Limiter.withResources(Effect.void, [Direct])
      assert.strictEqual(yield* capacityOf("LifetimeDirect"), 2, "the baseline: a guard")
      const fake = fakeClient(() => ({ body: "ok" }))
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Client] })
      const response = yield* client.get(URL)
      assert.strictEqual(yield* response.text, "ok")
      assert.strictEqual(yield* capacityOf("LifetimeClient"), 2)
      // A body-less answer is a success at its headers.
      yield* client.head(URL)
      assert.strictEqual(yield* capacityOf("LifetimeClient"), 2, "granted below the limit: no growth, no loss")
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Direct, Client] })))
  })

  it.effect("an upstream 503 or a failed request backs it off; an interrupted one teaches nothing", () => {
    const Api = Resource.make("LifetimeBackoff", { capacity: Limit.aimd({ initial: 4, min: 1, max: 10, backoffRatio: 0.5 }) })
    return Effect.gen(function*() {
      const fake = fakeClient((_, n) => n === 1 ? { status: 503, body: "overloaded" } : { body: "ok" })
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api] })
      yield* Effect.flatMap(client.get(URL), (r) => r.text)
      assert.strictEqual(yield* capacityOf("LifetimeBackoff"), 2, "a 503 is a failure")
      const refused = HttpClient.make((request) =>
        Effect.fail(new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request }) }))
      )
      const failing = yield* LimitedHttpClient.make(refused, { resources: [Api] })
      yield* Effect.exit(failing.get(URL))
      assert.strictEqual(yield* capacityOf("LifetimeBackoff"), 1, "so is a failed request")
      const hanging = yield* LimitedHttpClient.make(HttpClient.make(() => Effect.never), { resources: [Api] })
      const fiber = yield* Effect.forkChild(hanging.get(URL))
      yield* until(Effect.map(usage, (u) => u.LifetimeBackoff[0] === 1), "sent")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* capacityOf("LifetimeBackoff"), 1)
      assert.deepStrictEqual(yield* usage, { LifetimeBackoff: [0, 0] })
    }).pipe(Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Api] })))
  })
})

describe("LimitedHttpClient: a body nobody reads holds its permits for a bounded time", () => {
  const Api = Resource.make("Unread", { capacity: 1 })
  const LimiterLive = Limiter.layer({ timeout: "1 minute", resources: [Api] })

  it.effect("in a scope that stays open: given back unreadBodyTimeout after the headers, and readable after", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({ body: "late" }))
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api], unreadBodyTimeout: "2 seconds" })
      const response = yield* client.get(URL)
      yield* TestClock.adjust("1999 millis")
      assert.deepStrictEqual(yield* usage, { Unread: [1, 0] }, "held within the window")
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(yield* usage, { Unread: [0, 0] }, "given back at its end")
      assert.strictEqual(yield* response.text, "late")
      assert.deepStrictEqual(yield* usage, { Unread: [0, 0] }, "not released twice")
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("outside any scope: the same, by default after 1 second", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({ body: "never read" }))
      const scope = yield* Scope.make()
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api] }).pipe(Scope.provide(scope))
      yield* outsideAnyScope(Effect.asVoid(client.get(URL)))
      assert.deepStrictEqual(yield* usage, { Unread: [1, 0] })
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* usage, { Unread: [0, 0] })
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a body being read keeps them until it ends, however long that takes", () =>
    Effect.gen(function*() {
      const body = controlledBody()
      const fake = fakeClient(() => ({ body: body.stream }))
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api] })
      const response = yield* client.get(URL)
      const reader = yield* response.stream.pipe(Stream.runDrain, Effect.forkChild)
      body.push("first")
      yield* until(Effect.map(usage, () => true), "reading")
      yield* TestClock.adjust("1 minute")
      assert.deepStrictEqual(yield* usage, { Unread: [1, 0] }, "still streaming: still held")
      body.close()
      yield* Fiber.join(reader)
      assert.deepStrictEqual(yield* usage, { Unread: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("closing the client gives back the permits of its unread responses made outside any scope", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({ body: "never read" }))
      const scope = yield* Scope.make()
      const client = yield* LimitedHttpClient.make(fake.client, { resources: [Api], unreadBodyTimeout: "1 hour" }).pipe(
        Scope.provide(scope)
      )
      yield* outsideAnyScope(Effect.asVoid(client.get(URL)))
      assert.deepStrictEqual(yield* usage, { Unread: [1, 0] })
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* usage, { Unread: [0, 0] })
    }).pipe(Effect.provide(LimiterLive)))

  it.effect("a bad unreadBodyTimeout is refused when the client is made", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({}))
      const error = yield* Effect.flip(LimitedHttpClient.make(fake.client, { resources: [Api], unreadBodyTimeout: "-1 seconds" }))
      assert.strictEqual(error.field, "unreadBodyTimeout")
    }).pipe(Effect.provide(LimiterLive)))
})
