/**
 * A replica in a process of its own, for the RedisLimiter tests: run with
 * `tsx test/utils/redisReplica.ts <mode> <json options>`.
 *
 * - `hold`: takes `count` permits of `Db` at once, prints `holding`, and
 *   holds them until killed.
 * - `wait`: waits for one permit of `Db` (timeout 60 s), prints
 *   `acquired <Date.now()>` once it holds it, and holds it until killed.
 * - `load`: makes `count` random guarded acquisitions (random holds,
 *   timeouts and interruptions), and while holding counts itself in Redis
 *   (`<prefix>:running`, the highest count in `<prefix>:max`); prints its
 *   outcomes as JSON and exits.
 */
import { Deferred, Duration, Effect, Fiber } from "effect"
import { Redis } from "ioredis"
import { Limiter, RedisLimiter, Resource } from "../../src/index.js"

interface Options {
  readonly url: string
  readonly prefix: string
  readonly capacity: number
  readonly leaseTtlMillis: number
  readonly count: number
  readonly seed: number
}

const [mode, json] = process.argv.slice(2)
const options = JSON.parse(json) as Options
const Db = Resource.make("Db", { capacity: options.capacity })
const layer = RedisLimiter.layer({
  resources: [Db],
  timeout: mode === "wait" ? "60 seconds" : "5 seconds",
  prefix: options.prefix,
  redis: options.url,
  leaseTtl: Duration.millis(options.leaseTtlMillis)
})

const hold = Effect.gen(function*() {
  const entered = yield* Effect.forEach(Array.from({ length: options.count }), () => Deferred.make<void>())
  yield* Effect.forEach(entered, (d) =>
    Effect.fork(Limiter.withResources(Effect.zipRight(Deferred.succeed(d, undefined), Effect.never), [Db])))
  yield* Effect.forEach(entered, Deferred.await)
  console.log("holding")
  return yield* Effect.never
})

const wait = Limiter.withResources(
  Effect.zipRight(Effect.sync(() => console.log(`acquired ${Date.now()}`)), Effect.never),
  [Db]
)

/** Counts this holder in Redis, keeping the highest count seen. */
const ENTER = `local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
return n`

const load = Effect.gen(function*() {
  const redis = new Redis(options.url)
  let seed = options.seed
  const next = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const outcomes = { served: 0, busy: 0, interrupted: 0 }
  const running = `${options.prefix}:running`
  const max = `${options.prefix}:max`
  const guarded = (holdMillis: number) =>
    Effect.acquireUseRelease(
      Effect.promise(() => redis.eval(ENTER, 2, running, max)),
      () => Effect.sleep(Duration.millis(holdMillis)),
      () => Effect.promise(() => redis.decr(running))
    )
  const one = Effect.suspend(() => {
    const timeout = next() < 0.1 ? Duration.zero : Duration.millis(1 + Math.floor(next() * 40))
    const run = guarded(Math.floor(next() * 3)).pipe(
      Limiter.withResources([Db], { timeout }),
      Effect.matchEffect({
        onFailure: () => Effect.sync(() => outcomes.busy++),
        onSuccess: () => Effect.sync(() => outcomes.served++)
      })
    )
    if (next() < 0.8) return run
    return Effect.gen(function*() {
      const fiber = yield* Effect.fork(run)
      yield* Effect.sleep(Duration.millis(Math.floor(next() * 6)))
      const exit = yield* Fiber.interrupt(fiber)
      if (exit._tag === "Failure") outcomes.interrupted++
    })
  })
  yield* Effect.forEach(Array.from({ length: options.count }), () => one, { concurrency: 16, discard: true })
  redis.disconnect()
  console.log(JSON.stringify(outcomes))
})

const program = mode === "hold" ? hold : mode === "wait" ? wait : load
Effect.runPromise(Effect.scoped(Effect.provide(program, layer))).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
