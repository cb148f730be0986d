/**
 * RedisLimiter's leases against the machine's Redis (127.0.0.1:6379): a lost
 * lease stops its holder with `BusyError` ("lease-lost"), a failover fences
 * the resource while holders re-register, closing a layer refuses its queued
 * guards and renews nothing after, the heartbeat runs on the wall clock, and
 * `Limiter.acquire` holds a lease for its scope. Skipped, with a plain
 * message, when no Redis is reachable.
 */
import { BusyError, Limiter, RedisLimiter, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpServerRespondable from "effect/http/HttpServerRespondable"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { withClient } from "./utils/redis.js"
import { counted, countNow, cuttableRedis, redisLayer, replica, replicaName, settles } from "./utils/redisLimiter.js"
import { cleanedPrefixes, skippedWithoutRedis } from "./utils/redisTests.js"

const prefixFor = cleanedPrefixes()

/** A lease's expiry in Redis (ms), read raw: the scripts would purge an expired one first. */
const leaseExpiry = (prefix: string) =>
  withClient(async (redis) => {
    const [entry] = await redis.zRangeWithScores(`${prefix}:{Db}:holders`, 0, -1)
    return entry === undefined ? undefined : [entry.value, entry.score] as const
  })

describe("RedisLimiter leases", () => {
  if (skippedWithoutRedis()) return

  it.live("a holder whose lease is lost fails with a BusyError (\"lease-lost\") its caller can catch, rendered as the usual 503", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("lost")
      const ctx = yield* replica({ resources: [Db], timeout: "10 seconds", prefix, leaseTtl: "400 millis" })
      const started = yield* Deferred.make<void>()
      let after = false
      let interrupted = false
      const holder = yield* Effect.forkChild(
        Limiter.withResources(
          Effect.andThen(Deferred.succeed(started, undefined), Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted = true))),
          [Db]
        ).pipe(
          Effect.provide(ctx),
          Effect.flip,
          // The caller's fiber goes on after the failure.
          Effect.tap(() => Effect.sync(() => after = true))
        )
      )
      yield* Deferred.await(started)
      // Redis forgets the lease (as if it expired while this replica was cut
      // off): the next renewal, within a quarter of the TTL, finds it gone.
      yield* Effect.promise(() => withClient((redis) => redis.del(`${prefix}:{Db}:holders`)))
      const error = yield* Fiber.join(holder)
      assert.instanceOf(error, BusyError.BusyError)
      assert.deepStrictEqual([error.reason, error.resource], ["lease-lost", "Db"])
      assert.isTrue(interrupted, "the guarded effect was stopped")
      assert.isTrue(after, "the caller's code ran on")
      const response = yield* HttpServerRespondable.toResponse(error)
      assert.strictEqual(response.status, 503)
      assert.strictEqual(response.headers["retry-after"], "1")
      // The permit is usable again.
      assert.strictEqual(yield* Effect.provide(Limiter.withResources(Effect.succeed(1), [Db]), ctx), 1)
    }).pipe(Effect.scoped))

  it.live("a replica cut off from Redis stops its holder before Redis grants the permit to another replica", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("cutoff")
      // Renewed every 200 ms; locally lost after 600 ms without a renewal, in Redis after 800 ms.
      const options = { resources: [Db], timeout: "10 seconds", prefix, leaseTtl: "800 millis" } as const
      const cuttable = cuttableRedis()
      const a = yield* replica(options, cuttable.layer)
      const b = yield* replica(options)
      const started = yield* Deferred.make<void>()
      let stoppedAt = Infinity
      const holder = yield* Effect.forkChild(
        Limiter.withResources(
          Effect.andThen(
            Deferred.succeed(started, undefined),
            Effect.onInterrupt(Effect.never, () => Effect.sync(() => stoppedAt = Date.now()))
          ),
          [Db]
        ).pipe(Effect.provide(a), Effect.flip)
      )
      yield* Deferred.await(started)
      cuttable.state.cut = true
      // B queues, and gets the permit once Redis lets A's lease expire.
      const grantedAt = yield* Effect.provide(Limiter.withResources(Effect.sync(() => Date.now()), [Db]), b)
      const error = yield* Fiber.join(holder)
      assert.deepStrictEqual([error.reason, error.resource], ["lease-lost", "Db"])
      assert.isAtMost(stoppedAt, grantedAt, "never two holders: A was stopped before B was granted")
      cuttable.state.cut = false
    }).pipe(Effect.scoped))

  it.live("after a failover that lost a lease, nothing is granted for one TTL and the holder re-registers", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 2 })
      const prefix = prefixFor("failover")
      const options = { resources: [Db], timeout: "0 millis", prefix, leaseTtl: "1200 millis" } as const
      const [a, b] = yield* Effect.all([replica(options), replica(options)])
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(
        Limiter.withResources(Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate)), [Db]),
        a
      ))
      yield* Deferred.await(started)
      // What a failover to a replica that missed the last writes looks like:
      // another server, and the lease gone.
      yield* Effect.promise(() =>
        withClient((redis) =>
          redis.multi().del(`${prefix}:{Db}:holders`).hSet(`${prefix}:{Db}:fence`, "run", "another-server").exec()
        )
      )
      const tryOnce = Effect.result(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      assert.isTrue(Result.isFailure(yield* tryOnce), "fenced: no grant right after the change of server")
      // Until when Redis fences the resource (Redis ms; this machine's clock).
      const fencedUntil = Number(yield* Effect.promise(() => withClient((redis) => redis.hGet(`${prefix}:{Db}:fence`, "until"))))
      // The holder re-registers its lease at its next renewal (every 300 ms), and is not interrupted.
      yield* counted(prefix, "holders", 1)
      assert.isUndefined(holder.pollUnsafe())
      // After the fence, and not before it: one permit left of two.
      const servedAt = yield* tryOnce.pipe(
        Effect.flatMap((r) => Result.isSuccess(r) ? Effect.sync(() => Date.now()) : Effect.fail("fenced")),
        Effect.retry(Schedule.spaced("20 millis")),
        Effect.timeout("10 seconds")
      )
      assert.isAtLeast(servedAt, fencedUntil)
      assert.isUndefined(holder.pollUnsafe())
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("closing the layer refuses its queued guards, which leave the queue", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("close")
      const options = { resources: [Db], timeout: Duration.infinity, prefix } as const
      const a = yield* replica(options)
      const scope = yield* Scope.make()
      const b = yield* Layer.buildWithScope(RedisLimiter.layer({ ...options, name: replicaName() }).pipe(Layer.provide(redisLayer())), scope)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), a))
      yield* counted(prefix, "holders", 1)
      const waiter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.void, [Db]), b))
      yield* counted(prefix, "waiters", 1)
      // Closing waits (a PING) until Redis ran the releases of its queued guards.
      yield* Scope.close(scope, Exit.void)
      const error = yield* Effect.flip(Fiber.join(waiter))
      assert.strictEqual(error.reason, "unavailable")
      assert.strictEqual(yield* countNow(prefix, "waiters"), 0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("closing the layer stops it: no lease renewed after, and a queued guard is refused, also when failing open", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("closeopen")
      const scope = yield* Scope.make()
      // The heartbeat beats every 50 ms.
      const ctx = yield* Layer.buildWithScope(
        RedisLimiter.layer({ resources: [Db], timeout: Duration.infinity, prefix, leaseTtl: "200 millis", failure: "open", name: replicaName() })
          .pipe(Layer.provide(redisLayer())),
        scope
      )
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      let ran = false
      const waiter = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Effect.sync(() => ran = true), [Db]), ctx))
      yield* counted(prefix, "waiters", 1)
      yield* Scope.close(scope, Exit.void)
      // Refused, not admitted through the local share of a closed layer.
      const error = yield* Effect.flip(Fiber.join(waiter))
      assert.strictEqual(error.reason, "unavailable")
      assert.isFalse(ran)
      // Nothing of the layer runs on: the lease is renewed no more.
      const before = yield* Effect.promise(() => leaseExpiry(prefix))
      assert.isDefined(before)
      // Four periods: a heartbeat still running would have renewed it.
      yield* Effect.sleep("200 millis")
      assert.deepStrictEqual(yield* Effect.promise(() => leaseExpiry(prefix)), before)
      // The holder ends when its effect does; its release has nowhere to go.
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.effect("runs on the wall clock, also under TestClock", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("testclock")
      // A 1 s TTL: renewed every 250 ms, lost only after 750 ms without one.
      const ctx = yield* replica({ resources: [Db], timeout: "50 millis", prefix, leaseTtl: "1 second" })
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(Effect.provide(Limiter.withResources(Deferred.await(gate), [Db]), ctx))
      yield* counted(prefix, "holders", 1)
      // Real time passes and the lease is renewed (its expiry in Redis moves
      // on, twice); the TestClock does not move.
      yield* Effect.promise(async () => {
        let last = (await leaseExpiry(prefix))![1]
        for (let renewals = 0, i = 0; renewals < 2; i++) {
          if (i === 1000) throw new Error("the lease was not renewed twice in 5 s")
          await new Promise((resolve) => setTimeout(resolve, 5))
          const now = (await leaseExpiry(prefix))![1]
          if (now > last) renewals++
          last = now
        }
      })
      assert.isUndefined(holder.pollUnsafe(), "the holder still holds")
      // The guard's deadline is a real timer too.
      const error = yield* Effect.flip(Effect.provide(Limiter.withResources(Effect.void, [Db]), ctx))
      assert.strictEqual(error.reason, "timeout")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
    }).pipe(Effect.scoped))

  it.live("Limiter.acquire holds a lease for the scope's life; a queued acquisition interrupted leaves the queue", () =>
    Effect.gen(function*() {
      const Db = Resource.make("Db", { capacity: 1 })
      const prefix = prefixFor("acquire")
      const ctx = yield* replica({ resources: [Db], timeout: "10 seconds", prefix })
      const scope = yield* Scope.make()
      yield* Limiter.acquire([Db]).pipe(Scope.provide(scope), Effect.provide(ctx))
      assert.strictEqual(yield* countNow(prefix, "holders"), 1, "held")
      const queued = yield* Effect.forkChild(Effect.scoped(Limiter.acquire([Db])).pipe(Effect.provide(ctx)))
      yield* counted(prefix, "waiters", 1)
      // Promptly: not after the 10 s timeout.
      const [interrupting] = yield* Effect.timed(Fiber.interrupt(queued))
      assert.isBelow(Duration.toMillis(interrupting), 5000)
      yield* settles(prefix, "waiters", 0)
      const timedOut = yield* Effect.flip(Effect.scoped(Limiter.acquire([Db], { timeout: "50 millis" })).pipe(Effect.provide(ctx)))
      assert.instanceOf(timedOut, BusyError.BusyError)
      yield* Scope.close(scope, Exit.void)
      yield* settles(prefix, "holders", 0)
      yield* Effect.scoped(Limiter.acquire([Db])).pipe(Effect.provide(ctx))
    }).pipe(Effect.scoped))
})
