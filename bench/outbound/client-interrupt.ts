/**
 * What it costs to interrupt N calls of the limited client queued for a
 * permit, against N fibers queued on Effect's own semaphore (the floor: a
 * queued fiber and its interruption). The upstream is a fake that answers
 * at once; one call holds the only permit with a body nobody reads, so the
 * N others queue. Measured: wall time of `Fiber.interruptAll` over the N
 * queued fibers, until they have all ended. Each variant runs `runs` times
 * in this process after a warm-up; min, median and max are printed.
 *
 *   npm run bench:client-interrupt -- [n=2000] [runs=7]
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Fiber } from "effect"
import { LimitedHttpClient, Limiter, Resource } from "../../src/index.js"

const n = Number(process.argv[2] ?? 2000)
const runs = Number(process.argv[3] ?? 7)

const Api = Resource.make("Api", { capacity: 1 })
const fake = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))

/** Polls until `done` holds, yielding to the queued fibers in between. */
const until = (done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    while (!(yield* done)) yield* Effect.sleep(1)
  })

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* effect
    return performance.now() - start
  })

const client = Effect.gen(function*() {
  const limited = yield* LimitedHttpClient.make(fake, { resources: [Api], unreadBodyTimeout: "1 hour" })
  const limiter = yield* Limiter.Limiter
  yield* limited.get("http://api.test/held")
  const fibers = yield* Effect.forEach(Array.from({ length: n }), () => Effect.fork(limited.get("http://api.test/q")))
  yield* until(Effect.map(limiter.stats, (s) => s[0].waiting === n))
  return yield* timed(Fiber.interruptAll(fibers))
}).pipe(Effect.scoped, Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Api] })))

const effectSemaphore = Effect.gen(function*() {
  const sem = yield* Effect.makeSemaphore(1)
  yield* sem.take(1)
  const fibers = yield* Effect.forEach(Array.from({ length: n }), () => Effect.fork(sem.withPermits(1)(Effect.void)))
  // Effect's semaphore has no stats: let every fiber reach its wait.
  yield* Effect.sleep(50)
  return yield* timed(Fiber.interruptAll(fibers))
})

const summary = (ms: Array<number>) => {
  const sorted = [...ms].sort((a, b) => a - b)
  const f = (x: number) => x.toFixed(1)
  return `min ${f(sorted[0])} ms, median ${f(sorted[Math.floor(sorted.length / 2)])} ms, max ${f(sorted[sorted.length - 1])} ms`
}

const main = Effect.gen(function*() {
  for (const [name, variant] of [["LimitedHttpClient", client], ["Effect.Semaphore", effectSemaphore]] as const) {
    yield* variant // warm-up
    const ms: Array<number> = []
    for (let i = 0; i < runs; i++) ms.push(yield* variant)
    console.log(`${name}: interrupting ${n} queued calls: ${summary(ms)}`)
  }
})

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exit(1)
})
