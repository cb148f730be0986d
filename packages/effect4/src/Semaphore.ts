/**
 * A semaphore that holds under overload: strict FIFO, O(1) hand-off,
 * interruption-safe at every step. It implements Effect 4's
 * `Semaphore.Semaphore` interface (`effect/Semaphore`), so it can stand
 * wherever one is expected.
 *
 * Semantics, where they differ from or sharpen Effect's `Semaphore.make`:
 *
 * - **Strict FIFO, no barging.** Waiters are served in arrival order. A
 *   newcomer that finds free permits while someone waits queues behind them
 *   (`tryTake`, `takeIfAvailable` and `withPermitsIfAvailable` answer "no"
 *   then). A weighted take (`take(3)`) keeps its place at the head: while it
 *   does not fit, smaller takes behind it wait too (Effect's own semaphore
 *   lets them overtake it), so a heavy waiter is never starved by light ones.
 * - **O(1) hand-off.** A release grants the freed permits to exactly the
 *   waiters they satisfy and resumes only those; an interrupted waiter
 *   unlinks itself in O(1).
 * - **Interruption.** `withPermits` and `takeScoped` take their permits and
 *   install their release in one uninterruptible step; only the wait is
 *   interruptible. Permits granted to a fiber whose interruption lands at
 *   the same moment are handed on to the next waiter. `take` in an
 *   interruptible region leaks nothing either: in the one step where the
 *   runtime could interrupt between the grant and the caller's next step,
 *   the permits are reclaimed when the interrupted fiber exits.
 * - **Defects, with a clear message:** a permit count that is not a positive
 *   integer; a capacity (for `make`, `resize`) that is not a non-negative
 *   integer; releasing more permits than `take`/`tryTake` hold. The
 *   semaphore of a limiter's resource (`yield* Db`) checks `resize` as
 *   `Limiter.setCapacity` does: a positive integer, and never for a resource
 *   whose capacity follows a `Limit` (a `LimiterConfigError` defect).
 * - **`take(n)` with `n` above the capacity** waits, holding its place at
 *   the head, until `resize` makes room.
 * - **`resize`** up wakes waiters; down lets current holders finish and admits
 *   nobody until usage falls below the new size (`inUse` may exceed
 *   `capacity` meanwhile).
 * - **`releaseAll`** returns every permit at once and wakes waiters. Permits
 *   held through `withPermits`, `withPermitsIfAvailable`, `takeScoped` or a
 *   `Limiter.withResources` guard when it runs are then *not* released a
 *   second time when those end, so the available count never exceeds the
 *   capacity (Effect's own semaphore lets it).
 * - **`release(n)`** returns permits taken with `take`/`tryTake` (counted
 *   since the last `releaseAll`), never those of `withPermits` or of a
 *   guard, which return their own. It answers the permits left available
 *   after the waiters it woke took theirs.
 *
 * @since 0.6.0
 */
import "./internal/nodeVersion.js"
import type * as Effect from "effect/Effect"
import type * as EffectSemaphore from "effect/Semaphore"
import * as internal from "./internal/semaphore.js"

/**
 * Brands this library's semaphores (`Symbol.for("effect-concurrency-limiter/Semaphore")`).
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Semaphore.TypeId in Semaphore.unsafeMake(1), true)
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * The type of `TypeId`.
 *
 * @example
 * ```ts
 * import type { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * type Branded = { readonly [K in Semaphore.TypeId]: Semaphore.TypeId }
 * ```
 *
 * @since 0.6.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A point-in-time view of a semaphore, for metrics and tests.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * const logStats = (sem: Semaphore.Semaphore) =>
 *   Effect.flatMap(sem.stats, (stats: Semaphore.Stats) =>
 *     Effect.log(`${stats.inUse}/${stats.capacity} in use, ${stats.waiting} waiting`))
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Stats {
  /** The number of permits the semaphore currently allows (changes with `resize`). */
  readonly capacity: number
  /** Permits held right now. May exceed `capacity` for a while after `resize` down. */
  readonly inUse: number
  /** Fibers queued for permits. */
  readonly waiting: number
}

/**
 * A strict FIFO semaphore. Beyond Effect's `Semaphore` it offers a
 * synchronous `unsafeTryTake` / `unsafeRelease` pair and introspection.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * const program = Effect.gen(function*() {
 *   const sem = yield* Semaphore.make(2)
 *   // At most two of the five run at once, in the order they asked.
 *   yield* Effect.forEach([1, 2, 3, 4, 5], (n) => Effect.log(`job ${n}`).pipe(sem.withPermits(1)), {
 *     concurrency: "unbounded"
 *   })
 * })
 * ```
 *
 * @since 0.6.0
 * @category models
 */
export interface Semaphore extends EffectSemaphore.Semaphore {
  readonly [TypeId]: TypeId
  /**
   * Takes `permits` at once if that can be done without waiting and without
   * passing anyone already queued; answers whether it took them. When it
   * answers `true` the caller owns the permits and must `release` them. The
   * same as `takeIfAvailable`.
   *
   * @example
   * ```ts
   * import * as Effect from "effect/Effect"
   * import { Semaphore } from "@effect-concurrency-limiter/effect4"
   *
   * const acquire = (sem: Semaphore.Semaphore) =>
   *   Effect.acquireRelease(
   *     Effect.flatMap(sem.tryTake(1), (took) =>
   *       took ? Effect.void : Effect.asVoid(Effect.interruptible(sem.take(1)))),
   *     () => sem.release(1)
   *   )
   * ```
   */
  tryTake(permits: number): Effect.Effect<boolean>
  /**
   * The same as `tryTake`, synchronously: for callers that take and install
   * the release in one uninterruptible step of their own.
   */
  unsafeTryTake(permits: number): boolean
  /**
   * The same as `release`, synchronously: for the exit handler of a caller
   * that took its permits with `unsafeTryTake`. Returns the permits now
   * free. Releasing more than are taken throws, as `release` dies.
   *
   * @example
   * ```ts
   * import * as Effect from "effect/Effect"
   * import { Semaphore } from "@effect-concurrency-limiter/effect4"
   *
   * // Runs `self` with a permit if one is free right now, else fails.
   * const withFreePermit = <A, E, R>(sem: Semaphore.Semaphore, self: Effect.Effect<A, E, R>) =>
   *   Effect.uninterruptibleMask((restore): Effect.Effect<A, E | "busy", R> =>
   *     sem.unsafeTryTake(1)
   *       ? Effect.ensuring(restore(self), Effect.sync(() => sem.unsafeRelease(1)))
   *       : Effect.fail("busy")
   *   )
   * ```
   */
  unsafeRelease(permits: number): number
  /** The current capacity, permits in use and queue length. */
  readonly stats: Effect.Effect<Stats>
  /** The same as `stats`, read synchronously. */
  unsafeStats(): Stats
}

/**
 * Creates a semaphore with `permits` permits (a non-negative integer; anything
 * else is a defect).
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * const program = Effect.gen(function*() {
 *   const db = yield* Semaphore.make(5)
 *   return yield* Effect.succeed("rows").pipe(db.withPermits(1))
 * })
 * ```
 *
 * @since 0.6.0
 * @category constructors
 */
export const make: (permits: number) => Effect.Effect<Semaphore> = internal.make

/**
 * Creates a semaphore outside of an effect. Throws a `RangeError` if
 * `permits` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * // One semaphore for the whole module, made when it loads.
 * const uploads = Semaphore.unsafeMake(3)
 * const upload = (file: string) => Effect.log(`uploading ${file}`).pipe(uploads.withPermits(1))
 * ```
 *
 * @since 0.6.0
 * @category unsafe
 */
export const unsafeMake: (permits: number) => Semaphore = internal.unsafeMake

/**
 * Whether a value is one of this library's semaphores.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert"
 * import * as EffectSemaphore from "effect/Semaphore"
 * import { Semaphore } from "@effect-concurrency-limiter/effect4"
 *
 * strictEqual(Semaphore.isSemaphore(Semaphore.unsafeMake(1)), true)
 * strictEqual(Semaphore.isSemaphore(EffectSemaphore.makeUnsafe(1)), false)
 * ```
 *
 * @since 0.6.0
 * @category guards
 */
export const isSemaphore = (u: unknown): u is Semaphore => typeof u === "object" && u !== null && TypeId in u
