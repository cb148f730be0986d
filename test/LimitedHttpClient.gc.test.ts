/**
 * The last-resort release: a response dropped unread outside any scope
 * gives its permit back once it is garbage-collected. The test forces
 * collections with V8's `gc`, exposed at run time.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { LimitedHttpClient, Limiter, Resource } from "effect-concurrency-limiter"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { fakeClient, tick, until, usage } from "./utils/FakeUpstream.js"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const Api = Resource.make("Api", { capacity: 1 })

describe("LimitedHttpClient: a body never read, outside any scope", () => {
  it.live("is released when the response is garbage-collected", () =>
    Effect.gen(function*() {
      const fake = fakeClient(() => ({ body: "never read" }))
      // No rate limiter: the scope `make` asks for is not needed after it.
      const client = yield* Effect.scoped(LimitedHttpClient.make(fake.client, { resources: [Api] }))
      yield* Effect.asVoid(client.get("http://api.test/1"))
      assert.deepStrictEqual(yield* usage, { Api: [1, 0] }, "held: the body was not read")
      yield* until(Effect.zipRight(Effect.sync(gc), Effect.zipRight(tick, Effect.map(usage, (u) => u.Api[0] === 0))), "released after a GC", 100)
      // The permit is usable again: a second request does not queue.
      const response = yield* client.get("http://api.test/2")
      yield* response.text
      assert.deepStrictEqual(yield* usage, { Api: [0, 0] })
    }).pipe(Effect.provide(Limiter.layer({ timeout: "5 seconds", resources: [Api] }))))
})
