/**
 * RedisLimiter across OS processes (tsx children, test/utils/redisReplica.ts):
 * one capacity shared by several processes under a random workload, the
 * permits of a process killed with SIGKILL back within the lease TTL, and
 * those granted to a killed process's waiter too.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Scope } from "effect"
import { Limiter, RedisLimiter, Resource } from "effect-concurrency-limiter"
import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import { cleanKeys, client, REDIS_URL, uniquePrefix } from "./utils/redis.js"
import { skippedWithoutRedis } from "./utils/redisTests.js"

const root = path.join(import.meta.dirname, "..")
const script = path.join(root, "test/utils/redisReplica.ts")

/**
 * Starts a replica process; `nextLine` resolves its stdout lines as they
 * come. Node itself runs it, with tsx as a loader: the `tsx` command would
 * run it in a child of its own, which a SIGKILL of the `tsx` process misses.
 */
const startReplica = (mode: "hold" | "wait" | "load", options: Record<string, unknown>) => {
  const child = spawn(process.execPath, ["--import", "tsx", script, mode, JSON.stringify(options)], { cwd: root, stdio: ["ignore", "pipe", "inherit"] })
  let buffer = ""
  const lines: Array<string> = []
  const waiting: Array<(line: string) => void> = []
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk
    let newline
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      const waiter = waiting.shift()
      if (waiter !== undefined) waiter(line)
      else lines.push(line)
    }
  })
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift()
      if (line !== undefined) return resolve(line)
      waiting.push(resolve)
      child.once("exit", (code) => reject(new Error(`replica exited (${code}) before printing a line`)))
    })
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve))
  return { child, nextLine, exited }
}

const kill = (child: ChildProcess) => {
  if (child.exitCode === null) child.kill("SIGKILL")
}

describe("RedisLimiter across processes", () => {
  if (skippedWithoutRedis()) return

  it.live("three processes never hold more than the capacity together", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("processes")
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      const capacity = 3
      const replicas = [1, 2, 3].map((seed) =>
        startReplica("load", { url: REDIS_URL, prefix, capacity, leaseTtlMillis: 2000, count: 1500, seed })
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => replicas.forEach((r) => kill(r.child))))
      const outputs = yield* Effect.promise(() => Promise.all(replicas.map((r) => r.nextLine())))
      const codes = yield* Effect.promise(() => Promise.all(replicas.map((r) => r.exited)))
      assert.deepStrictEqual(codes, [0, 0, 0])
      const outcomes = outputs.map((line) => JSON.parse(line) as { served: number; busy: number; interrupted: number })
      for (const o of outcomes) assert.strictEqual(o.served + o.busy + o.interrupted, 1500)
      const redis = client()
      const [max, running, holders, waiters] = yield* Effect.promise(() =>
        Promise.all([
          redis.get(`${prefix}:max`),
          redis.get(`${prefix}:running`),
          redis.zcard(`${prefix}:{Db}:holders`),
          redis.zcard(`${prefix}:{Db}:waiters`)
        ])
      )
      redis.disconnect()
      assert.strictEqual(Number(max), capacity, "the most holders at once, counted in Redis")
      assert.deepStrictEqual([Number(running), holders, waiters], [0, 0, 0])
    }).pipe(Effect.scoped), 60_000)

  it.live("a process killed with SIGKILL while holding: its permits are back once its leases expire, within the TTL", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("sigkill")
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      const capacity = 3
      const leaseTtlMillis = 1000
      const holder = startReplica("hold", { url: REDIS_URL, prefix, capacity, leaseTtlMillis, count: capacity, seed: 0 })
      yield* Effect.addFinalizer(() => Effect.sync(() => kill(holder.child)))
      assert.strictEqual(yield* Effect.promise(holder.nextLine), "holding")

      const Db = Resource.make("Db", { capacity })
      const ctx = yield* Layer.buildWithScope(
        RedisLimiter.layer({
          resources: [Db],
          timeout: "5 seconds",
          prefix,
          redis: REDIS_URL,
          leaseTtl: Duration.millis(leaseTtlMillis)
        }),
        yield* Scope.Scope
      )
      // Held elsewhere: nothing free here.
      const busy = yield* Effect.flip(
        Effect.provide(Limiter.withResources(Effect.void, [Db], { timeout: Duration.zero }), ctx)
      )
      assert.strictEqual(busy.reason, "timeout")

      kill(holder.child)
      yield* Effect.promise(() => holder.exited)
      const killedAt = Date.now()
      // When its leases expire in Redis (Redis ms, this machine's clock): at
      // most a TTL after its last renewal, which it sent before it died.
      const redis = client()
      const scores = yield* Effect.promise(() => redis.zrange(`${prefix}:{Db}:holders`, 0, -1, "WITHSCORES"))
      redis.disconnect()
      const expiresAt = Math.max(...scores.filter((_, i) => i % 2 === 1).map(Number))
      const entered = yield* Effect.forEach(Array.from({ length: capacity }), () => Deferred.make<number>())
      const gate = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(entered, (d) =>
        Effect.fork(
          Effect.provide(
            Limiter.withResources(
              Effect.zipRight(Effect.suspend(() => Deferred.succeed(d, Date.now())), Deferred.await(gate)),
              [Db]
            ),
            ctx
          )
        ))
      const times = yield* Effect.forEach(entered, Deferred.await).pipe(
        Effect.raceFirst(Effect.flatMap(Effect.forEach(fibers, Fiber.join), () => Effect.die("a guard ended without entering")))
      )
      const back = Math.max(...times) - killedAt
      console.log(
        `SIGKILL: all ${capacity} permits back ${back} ms after the kill, ` +
          `${Math.max(...times) - expiresAt} ms after the leases expired (lease TTL ${leaseTtlMillis} ms)`
      )
      // The leases expire within a TTL of the kill (a renewal in flight at
      // the kill may land a little later: 250 ms of slack)...
      assert.isAtMost(expiresAt - killedAt, leaseTtlMillis + 250)
      // ...and the waiters here take them at their replica's next heartbeat
      // (every quarter TTL), plus 1 s for a loaded machine's lag.
      assert.isAtMost(Math.max(...times) - expiresAt, leaseTtlMillis / 4 + 1000)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
    }).pipe(Effect.scoped), 30_000)

  it.live("a permit granted to a killed process's waiter expires with that waiter's heartbeat, not a TTL after the grant", () =>
    Effect.gen(function*() {
      const prefix = uniquePrefix("deadwaiter")
      yield* Effect.addFinalizer(() => Effect.promise(() => cleanKeys(prefix)))
      // A long TTL, so that what is measured (a TTL) dwarfs what a loaded
      // machine adds (event-loop lag, process start): the heartbeat beats
      // every second.
      const leaseTtlMillis = 4000
      const periodMillis = leaseTtlMillis / 4
      const options = { url: REDIS_URL, prefix, capacity: 1, leaseTtlMillis, count: 1, seed: 0 }
      const keys = { holders: `${prefix}:{Db}:holders`, waiters: `${prefix}:{Db}:waiters`, alive: `${prefix}:{Db}:alive` }
      const redis = client()
      yield* Effect.addFinalizer(() => Effect.sync(() => redis.disconnect()))
      const waitersAtLeast = (n: number) =>
        Effect.promise(async () => {
          for (let i = 0; i < 2000; i++) {
            if ((await redis.zcard(keys.waiters)) >= n) return
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          throw new Error(`fewer than ${n} waiters after 20 s`)
        })

      // This process holds the only permit until the test releases it.
      const Db = Resource.make("Db", { capacity: 1 })
      const ctx = yield* Layer.buildWithScope(
        RedisLimiter.layer({ resources: [Db], timeout: "60 seconds", prefix, redis: REDIS_URL, leaseTtl: Duration.millis(leaseTtlMillis) }),
        yield* Scope.Scope
      )
      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(Effect.provide(
        Limiter.withResources(Effect.zipRight(Deferred.succeed(entered, undefined), Deferred.await(gate)), [Db]),
        ctx
      ))
      yield* Deferred.await(entered)
      // The replica to be killed queues first, the live one second.
      const doomed = startReplica("wait", options)
      yield* Effect.addFinalizer(() => Effect.sync(() => kill(doomed.child)))
      yield* waitersAtLeast(1)
      const live = startReplica("wait", options)
      yield* Effect.addFinalizer(() => Effect.sync(() => kill(live.child)))
      yield* waitersAtLeast(2)
      const [doomedId] = yield* Effect.promise(() => redis.zrange(keys.waiters, 0, 0))

      kill(doomed.child)
      yield* Effect.promise(() => doomed.exited)
      const killedAt = Date.now()
      // Its queue entry lives until its last heartbeat's deadline (Redis ms,
      // the same clock as this process's: one machine).
      const aliveUntil = Number(yield* Effect.promise(() => redis.zscore(keys.alive, doomedId)))
      // Release while it is still queued, 1.5 s before that deadline (some
      // 1.5 to 2.5 s after the kill): Redis grants it the permit.
      yield* Effect.sleep(Duration.millis(Math.max(0, aliveUntil - 1500 - Date.now())))
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const releasedAt = Date.now()
      assert.isBelow(releasedAt, aliveUntil, "released while the dead waiter was still queued")
      const granted = yield* Effect.promise(() => redis.zscore(keys.holders, doomedId))
      assert.isNotNull(granted, "the dead waiter, at the head, was granted the permit")
      // The grant lasts what was left of its heartbeat, not a TTL from the grant.
      assert.isAtMost(Number(granted), aliveUntil)

      const line = yield* Effect.promise(live.nextLine)
      assert.match(line, /^acquired \d+$/)
      const acquiredAt = Number(line.split(" ")[1])
      console.log(
        `dead waiter: the live waiter got the permit ${acquiredAt - killedAt} ms after the kill, ` +
          `${acquiredAt - aliveUntil} ms after the dead waiter's heartbeat deadline (TTL ${leaseTtlMillis} ms)`
      )
      // After that deadline the live waiter's next heartbeat (within one
      // period) purges the expired lease and is granted. The margin, 1 s,
      // is for a loaded machine's event-loop lag and process scheduling; a
      // lease of a full TTL from the release would end 2.5 s after the
      // deadline (TTL - 1.5 s), and the live waiter get it later still.
      assert.isAtMost(acquiredAt - aliveUntil, periodMillis + 1000)
      // From the kill: within one TTL (the heartbeat deadline is at most a
      // TTL after it), plus one period and that margin; not 2 × TTL.
      assert.isAtMost(acquiredAt - killedAt, leaseTtlMillis + periodMillis + 1000)
    }).pipe(Effect.scoped), 60_000)
})
