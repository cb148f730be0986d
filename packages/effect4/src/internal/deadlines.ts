/**
 * The limiter's deadlines: one timer for all the waiters of a limiter.
 *
 * A guard that has to wait registers its deadline here instead of racing
 * its wait against a sleep (a timeout per waiter forks fibers, which under
 * overload was most of what a 503 cost the server). Deadlines sit in the
 * core's `DeadlineSchedule` (a binary min-heap, and the timer's
 * state), and one fiber sleeps — through
 * Effect's `Clock`, so `TestClock` drives it — until the earliest of them;
 * when it wakes, it expires every deadline that has passed, in order, and
 * sleeps again until the next. No fiber is forked per waiter.
 *
 * Due deadlines expire in slices (`sliceSize`, 256 by default) with a pause
 * between (`sleep(0)` on the clock: a turn of the event loop), so that a
 * timer that woke late and found thousands due does not answer them all in
 * one turn.
 *
 * @internal
 */
import type { DeadlineTimer, Expirable } from "@effect-concurrency-limiter/core/deadlines/heap"
import { DeadlineSchedule } from "@effect-concurrency-limiter/core/deadlines/schedule"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/**
 * A function that starts an effect in a fiber of its own, owned by the
 * limiter's scope (a `FiberHandle` runtime: starting a new fiber interrupts
 * the one it replaces, and closing the scope interrupts the last).
 */
export type RunFork = (effect: Effect.Effect<void>) => Fiber.Fiber<void>

/**
 * Logs what expiries threw (they run the semaphore's observers), so that
 * the timer keeps running and the other deadlines still expire on time.
 */
const logErrors = (errors: ReadonlyArray<unknown>): Effect.Effect<void> =>
  Effect.logError(
    "Limiter: expiring a deadline threw; the other deadlines still expire on time",
    errors.map((error) => Cause.die(error)).reduce((a, b) => Cause.combine(a, b))
  )

/** @internal */
export class Deadlines implements DeadlineTimer {
  private readonly schedule: DeadlineSchedule
  private fiber: Fiber.Fiber<void> | null = null

  /**
   * `sliceSize` due deadlines expire per event-loop turn; `pause` is what
   * runs between two slices (by default a zero sleep on `clock`: a turn of
   * the event loop on the live clock, nothing under `TestClock`).
   */
  constructor(
    private readonly clock: Clock.Clock,
    private readonly runFork: RunFork,
    sliceSize = 256,
    private readonly pause: Effect.Effect<void> = clock.sleep(Duration.zero)
  ) {
    this.schedule = new DeadlineSchedule(sliceSize)
  }

  /** The current time, on the clock deadlines are measured against. */
  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  /** The number of deadlines waiting to pass. */
  get size(): number {
    return this.schedule.size
  }

  /** Registers `entry`, whose `deadline` is set, to expire when it passes (at once, once closed). */
  add(entry: Expirable): void {
    const generation = this.schedule.add(entry)
    if (generation !== 0) this.arm(generation)
  }

  /** Unregisters `entry` if it is registered; it will not expire. */
  remove(entry: Expirable): void {
    this.schedule.remove(entry)
  }

  /**
   * Stops the timer for good (the limiter's layer is closing), and expires
   * the deadlines still registered, so that their waiters fail now instead
   * of waiting for a timer that no longer runs. The fiber itself belongs to
   * the layer's scope, which interrupts it.
   */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const fiber = this.fiber
      this.fiber = null
      const errors = this.schedule.close()
      fiber?.interruptUnsafe()
      return errors === undefined ? Effect.void : logErrors(errors)
    })
  }

  /** Starts the timer of `generation`, replacing the one that sleeps until later. */
  private arm(generation: number): void {
    this.fiber?.interruptUnsafe()
    this.fiber = this.runFork(this.loop(generation))
  }

  private loop(generation: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.schedule.isCurrent(generation)) return Effect.void
      const now = this.now()
      const errors = this.schedule.expireDue(now)
      const next = this.schedule.armedAt
      if (next === Infinity) this.fiber = null
      const then = next === Infinity
        ? Effect.void
        : next <= now
        // More are due: the rest after a turn of the event loop.
        ? Effect.andThen(this.pause, this.loop(generation))
        : this.sleepUntil(next, now, generation)
      return errors === undefined ? then : Effect.andThen(logErrors(errors), then)
    })
  }

  private sleepUntil(deadline: number, now: number, generation: number): Effect.Effect<void> {
    return Effect.andThen(this.clock.sleep(Duration.millis(deadline - now)), this.loop(generation))
  }
}
