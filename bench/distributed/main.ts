/**
 * The distributed benchmark (issue 12): RedisLimiter through one Redis
 * (`REDIS_URL`, default redis://127.0.0.1:6379).
 *
 *   npm run bench:distributed                # the three measures below, then the overload run
 *   npm run bench:distributed -- --no-overload
 *
 * 1. Uncontended acquire + release: latency of a guard over a free resource,
 *    one at a time, and the Redis round trips it costs (counted with MONITOR:
 *    the commands this benchmark's client sent, not those the scripts ran).
 * 2. Hand-off latency: a holder on one replica ends while a guard on another
 *    waits; the time from the end of the first guarded effect to the start
 *    of the second (release script, PUBLISH, the waiter's subscription).
 * 3. Acquire/release pairs per second through one Redis: guards looping over
 *    `Effect.void` on four replicas (in worker processes), uncontended
 *    (capacity above the concurrency) and contended (capacity 4: almost
 *    every grant is a hand-off through the queue).
 * 4. The overload scenario on four server processes sharing `Db` (capacity
 *    5) through Redis: see `overload.ts`.
 *
 * Options: --pairs N (uncontended pairs, default 3000)  --handoffs N (default 500)
 *          --seconds N (each throughput run, default 5)  --processes N (default 4)
 *          --no-overload  --out docs/bench/distributed (where results.json goes)
 */
import { Deferred, Duration, Effect, Fiber, Layer, Scope } from "effect"
import { Redis } from "ioredis"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { Limiter, RedisLimiter, Resource } from "../../src/index.js"

const { values: args } = parseArgs({
  options: {
    pairs: { type: "string", default: "3000" },
    handoffs: { type: "string", default: "500" },
    seconds: { type: "string", default: "5" },
    processes: { type: "string", default: "4" },
    "no-overload": { type: "boolean", default: false },
    out: { type: "string", default: "docs/bench/distributed" },
    worker: { type: "string" }
  }
})

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const prefix = `eclbench-${process.pid}`

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
const summary = (samples: Array<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]
  }
}
const ms = (x: number) => `${x.toFixed(3)} ms`

/** Replicas alive at once in this process are named apart: they may not share metric series. */
const replicaLayer = (resource: Resource.Resource.Any, keyPrefix: string, name = "default") =>
  RedisLimiter.layer({ name, resources: [resource], timeout: "30 seconds", prefix: keyPrefix, redis: url })

const build = <A, E>(layer: Layer.Layer<A, E>) =>
  Effect.flatMap(Scope.Scope, (scope) => Layer.buildWithScope(layer, scope))

/** Counts the commands this process's clients send under `keyPrefix`, with MONITOR. */
const monitorCommands = async (keyPrefix: string) => {
  const monitor = await new Redis(url).monitor()
  const counts = new Map<string, number>()
  monitor.on("monitor", (_time: string, argv: Array<string>, source: string) => {
    if (source === "lua" || !argv.some((a) => a.includes(keyPrefix))) return
    counts.set(argv[0].toLowerCase(), (counts.get(argv[0].toLowerCase()) ?? 0) + 1)
  })
  return {
    counts,
    stop: () => monitor.disconnect()
  }
}

const uncontended = (pairs: number) =>
  Effect.gen(function*() {
    const Db = Resource.make("Db", { capacity: 5 })
    const keyPrefix = `${prefix}-uncontended`
    const ctx = yield* build(replicaLayer(Db, keyPrefix))
    const guard = Limiter.withResources([Db])
    const once = Effect.provide(guard(Effect.void), ctx)
    // Warm up: the scripts are loaded (EVALSHA's first miss), the JIT has run.
    for (let i = 0; i < 200; i++) yield* once
    const samples: Array<number> = []
    for (let i = 0; i < pairs; i++) {
      const start = performance.now()
      yield* once
      samples.push(performance.now() - start)
    }
    // Round trips, counted apart: MONITOR slows Redis down.
    const monitor = yield* Effect.promise(() => monitorCommands(keyPrefix))
    yield* Effect.sleep("100 millis")
    const counted = 500
    for (let i = 0; i < counted; i++) yield* once
    yield* Effect.sleep("200 millis")
    monitor.stop()
    const commands = [...monitor.counts.values()].reduce((a, b) => a + b, 0)
    return { latency: summary(samples), roundTrips: commands / counted, commands: Object.fromEntries(monitor.counts) }
  }).pipe(Effect.scoped)

const handoff = (rounds: number) =>
  Effect.gen(function*() {
    const Db = Resource.make("Db", { capacity: 1 })
    const keyPrefix = `${prefix}-handoff`
    const a = yield* build(replicaLayer(Db, keyPrefix))
    const b = yield* build(replicaLayer(Db, keyPrefix, "b"))
    const redis = new Redis(url)
    const guard = Limiter.withResources([Db])
    const samples: Array<number> = []
    for (let i = 0; i < rounds; i++) {
      const [from, to] = i % 2 === 0 ? [a, b] : [b, a]
      const entered = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      let endedAt = 0
      const holder = yield* Effect.fork(Effect.provide(
        guard(Effect.zipRight(Deferred.succeed(entered, undefined), Deferred.await(gate)).pipe(
          Effect.ensuring(Effect.sync(() => endedAt = performance.now()))
        )),
        from
      ))
      yield* Deferred.await(entered)
      let startedAt = 0
      const waiter = yield* Effect.fork(Effect.provide(guard(Effect.sync(() => startedAt = performance.now())), to))
      // Until the waiter is queued in Redis.
      while ((yield* Effect.promise(() => redis.zcard(`${keyPrefix}:{Db}:waiters`))) === 0) yield* Effect.sleep("1 millis")
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
      samples.push(startedAt - endedAt)
    }
    redis.disconnect()
    return summary(samples)
  }).pipe(Effect.scoped)

/** A worker process: guards over `Effect.void` in a loop for `seconds`, `concurrency` at a time. */
const worker = (options: { keyPrefix: string; capacity: number; concurrency: number; seconds: number }) =>
  Effect.gen(function*() {
    const Db = Resource.make("Db", { capacity: options.capacity })
    const ctx = yield* build(replicaLayer(Db, options.keyPrefix))
    const guard = Limiter.withResources([Db])
    const once = Effect.provide(guard(Effect.void), ctx)
    // Start together: the parent's go-time.
    const startAt = Date.now() + 1500
    yield* Effect.sleep(Duration.millis(startAt - Date.now()))
    const endAt = startAt + options.seconds * 1000
    let pairs = 0
    const loop = Effect.suspend(() => once).pipe(
      Effect.tap(() => Effect.sync(() => pairs++)),
      Effect.repeat({ while: () => Date.now() < endAt })
    )
    yield* Effect.all(Array.from({ length: options.concurrency }, () => loop), { concurrency: "unbounded", discard: true })
    return pairs
  }).pipe(Effect.scoped)

const throughput = (label: string, capacity: number, processes: number, seconds: number) =>
  Effect.promise(async () => {
    const keyPrefix = `${prefix}-${label}`
    const children = Array.from({ length: processes }, () => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          path.join(import.meta.dirname, "main.ts"),
          "--worker",
          JSON.stringify({ keyPrefix, capacity, concurrency: 16, seconds })
        ],
        { stdio: ["ignore", "pipe", "inherit"] }
      )
      let out = ""
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => out += chunk)
      return new Promise<number>((resolve, reject) =>
        child.once("exit", (code) => code === 0 ? resolve(Number(out.trim())) : reject(new Error(`worker exited ${code}`)))
      )
    })
    const counts = await Promise.all(children)
    const total = counts.reduce((a, b) => a + b, 0)
    return { label, capacity, processes, pairsPerSecond: total / seconds, perProcess: counts.map((c) => c / seconds) }
  })

const cleanKeys = async () => {
  const client = new Redis(url)
  let cursor = "0"
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
    if (keys.length > 0) await client.del(...keys)
    cursor = next
  } while (cursor !== "0")
  client.disconnect()
}

const main = Effect.gen(function*() {
  const pairs = Number(args.pairs)
  const processes = Number(args.processes)
  const seconds = Number(args.seconds)
  const info = yield* Effect.promise(async () => {
    const client = new Redis(url)
    const server = await client.info("server")
    client.disconnect()
    return server.match(/redis_version:(\S+)/)?.[1] ?? "?"
  })
  console.log(`RedisLimiter through Redis ${info} at ${url}\n`)

  const u = yield* uncontended(pairs)
  console.log("1. Uncontended acquire + release (one guard at a time, one replica)")
  console.log(`   | pairs | p50 | p90 | p99 | max | Redis round trips per pair |`)
  console.log(`   |---|---|---|---|---|---|`)
  console.log(
    `   | ${pairs} | ${ms(u.latency.p50)} | ${ms(u.latency.p90)} | ${ms(u.latency.p99)} | ${ms(u.latency.max)} | ${
      u.roundTrips.toFixed(2)
    } (${JSON.stringify(u.commands)} over 500 pairs) |\n`
  )

  const h = yield* handoff(Number(args.handoffs))
  console.log("2. Hand-off latency (holder on one replica ends → waiter on another starts)")
  console.log(`   | hand-offs | p50 | p90 | p99 | max |`)
  console.log(`   |---|---|---|---|---|`)
  console.log(`   | ${args.handoffs} | ${ms(h.p50)} | ${ms(h.p90)} | ${ms(h.p99)} | ${ms(h.max)} |\n`)

  const runs = [
    yield* throughput("uncontended", 1000, processes, seconds),
    yield* throughput("contended", 4, processes, seconds)
  ]
  console.log(`3. Acquire/release pairs per second through one Redis (${processes} processes × 16 concurrent guards)`)
  console.log(`   | run | capacity | pairs/s | per process |`)
  console.log(`   |---|---|---|---|`)
  for (const r of runs) {
    console.log(
      `   | ${r.label} | ${r.capacity} | ${Math.round(r.pairsPerSecond)} | ${
        r.perProcess.map((p) => Math.round(p)).join(", ")
      } |`
    )
  }
  console.log()
  yield* Effect.promise(cleanKeys)

  fs.mkdirSync(args.out, { recursive: true })
  const results = { at: new Date().toISOString(), redis: info, uncontended: u, handoff: h, throughput: runs }
  fs.writeFileSync(path.join(args.out, "micro.json"), JSON.stringify(results, null, 2) + "\n")
  if (!args["no-overload"]) {
    const { overload } = yield* Effect.promise(() => import("./overload.js"))
    yield* Effect.promise(() => overload({ redisUrl: url, out: args.out }))
  }
})

if (args.worker !== undefined) {
  Effect.runPromise(worker(JSON.parse(args.worker))).then((pairs) => {
    console.log(pairs)
    process.exit(0)
  }, (error) => {
    console.error(error)
    process.exit(1)
  })
} else {
  Effect.runPromise(main).then(() => process.exit(0), (error) => {
    console.error(error)
    process.exit(1)
  })
}
