/**
 * One measurement of `npm run bench:parked-memory` (`parked-memory.ts`
 * builds it against a library checkout and runs it under
 * `node --expose-gc`): the heap retained per parked request.
 *
 *   node --expose-gc <built>.mjs <variant> <n>
 *
 * Variants:
 *   fiber  N fibers parked on `Effect.never`: Effect's own floor per fiber;
 *   guard  N fibers each waiting in `Limiter.withResources([Db])` for Db's
 *          only permit, which another fiber holds (timeout 1 hour): what a
 *          request parked in the limiter's queue costs, fiber included.
 *
 * Prints one JSON line: `{ variant, n, bytesPerParked, heapBeforeMb, heapAfterMb }`.
 * Heap used is read after two full GCs (the first runs finalizers whose
 * garbage the second collects), before the fibers are forked and once all
 * of them are parked.
 */
import { Effect, Fiber } from "effect"
import { Limiter, Resource } from "effect-concurrency-limiter"

const [variant = "guard", nText = "10000"] = process.argv.slice(2)
const n = Number.parseInt(nText, 10)
if (variant !== "fiber" && variant !== "guard") throw new Error(`variant must be fiber or guard, got ${variant}`)
if (!(n > 0)) throw new Error(`n must be a positive integer, got ${nText}`)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error("run under node --expose-gc")

const Db = Resource.make("Db", { capacity: 1 })
const withDb = Limiter.withResources([Db])

const heapUsed = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Yields until `Db` has `count` waiters (bounded: a stuck queue fails the run). */
const waitersReach = (count: number) =>
  Effect.gen(function*() {
    const limiter = yield* Limiter.Limiter
    for (let i = 0; i < 10_000; i++) {
      const stats = yield* limiter.stats
      if ((stats.find((s) => s.resource === "Db")?.waiting ?? 0) >= count) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`Db never reached ${count} waiters`)
  })

const park = (count: number) =>
  Effect.forEach(
    Array.from({ length: count }),
    () => Effect.fork(variant === "guard" ? withDb(Effect.void) : Effect.never),
    { discard: false }
  )

const program = Effect.gen(function*() {
  // The only permit, held for the whole run.
  const holder = yield* Effect.fork(withDb(Effect.never))
  yield* Effect.yieldNow()
  // Warm-up: the same path once at a smaller size, so that compiled code and
  // lazily built structures are in the heap before the baseline is read.
  const warm = yield* park(Math.min(1000, n))
  if (variant === "guard") yield* waitersReach(warm.length)
  yield* Fiber.interruptAll(warm)
  const before = heapUsed()
  const fibers = yield* park(n)
  if (variant === "guard") yield* waitersReach(n)
  else yield* Effect.yieldNow()
  const after = heapUsed()
  yield* Fiber.interruptAll(fibers)
  yield* Fiber.interrupt(holder)
  return { variant, n, bytesPerParked: (after - before) / n, heapBeforeMb: before / 2 ** 20, heapAfterMb: after / 2 ** 20 }
}).pipe(Effect.provide(Limiter.layer({ timeout: "1 hour", resources: [Db] })))

console.log(JSON.stringify(await Effect.runPromise(program)))
