/**
 * A semaphore that holds under overload: strict FIFO, O(1) hand-off,
 * interruption-safe at every step. It implements Effect's `Effect.Semaphore`
 * interface, so it can stand wherever an `Effect.Semaphore` is expected.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/semaphore.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * A point-in-time view of a semaphore, for metrics and tests.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * Effect.gen(function*() {
 *   const sem = yield* Semaphore.make(5)
 *   const { capacity, inUse, waiting } = yield* sem.stats
 * })
 * ```
 *
 * @since 0.1.0
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
 * A FIFO semaphore. Beyond `Effect.Semaphore` it offers a non-blocking
 * `tryTake` and introspection.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * const program = Effect.gen(function*() {
 *   const sem = yield* Semaphore.make(2)
 *   yield* Effect.log("guarded").pipe(sem.withPermits(1))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Semaphore extends Effect.Semaphore {
  readonly [TypeId]: TypeId
  /**
   * Takes `permits` at once if that can be done without waiting and without
   * passing anyone already queued; answers whether it took them.
   */
  tryTake(permits: number): Effect.Effect<boolean>
  /** The current capacity, permits in use and queue length. */
  readonly stats: Effect.Effect<Stats>
  /** The same as `stats`, read synchronously. */
  unsafeStats(): Stats
}

/**
 * Creates a semaphore with `permits` permits.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * const makeDbSemaphore = Semaphore.make(5)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (permits: number) => Effect.Effect<Semaphore> = internal.make

/**
 * Creates a semaphore outside of an effect.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * const sem = Semaphore.unsafeMake(5)
 * ```
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeMake: (permits: number) => Semaphore = internal.unsafeMake

/**
 * Whether a value is one of this library's semaphores.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-concurrency-limiter"
 *
 * Semaphore.isSemaphore(Semaphore.unsafeMake(1)) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isSemaphore = (u: unknown): u is Semaphore => typeof u === "object" && u !== null && TypeId in u
