/**
 * RedisLimiter across OS processes (tsx children, test/utils/redisReplica.ts):
 * one capacity shared by several processes under a random workload, and the
 * permits of a process killed with SIGKILL back within the lease TTL.
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
const startReplica = (mode: "hold" | "load", options: Record<string, unknown>) => {
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

  it.live("a process killed with SIGKILL while holding: its permits are back within the TTL + 1 s", () =>
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
      console.log(`SIGKILL: all ${capacity} permits back ${back} ms after the kill (lease TTL ${leaseTtlMillis} ms)`)
      assert.isAtMost(back, leaseTtlMillis + 1000)
      yield* Deferred.succeed(gate, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
    }).pipe(Effect.scoped), 30_000)
})
