/**
 * The limiter's deadlines: one timer for all the waiters of a limiter.
 *
 * A guard that has to wait registers its deadline here instead of racing
 * its wait against a sleep (a timeout per waiter forks fibers, which under
 * overload was most of what a 503 cost the server). Deadlines sit in the
 * core's binary min-heap (`DeadlineHeap`), and one fiber sleeps — through
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
import { DeadlineHeap, type DeadlineTimer, type Expirable } from "@effect-concurrency-limiter/core/deadlines/heap"
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
  private readonly heap = new DeadlineHeap()
  /** The deadline the current fiber sleeps towards; `Infinity` when no fiber runs. */
  private armedAt = Infinity
  /** Bumped whenever a new fiber takes over, so that a replaced one stops at its next step. */
  private generation = 0
  private fiber: Fiber.Fiber<void> | null = null
  private closed = false

  /**
   * `sliceSize` due deadlines expire per event-loop turn; `pause` is what
   * runs between two slices (by default a zero sleep on `clock`: a turn of
   * the event loop on the live clock, nothing under `TestClock`).
   */
  constructor(
    private readonly clock: Clock.Clock,
    private readonly runFork: RunFork,
    private readonly sliceSize = 256,
    private readonly pause: Effect.Effect<void> = clock.sleep(Duration.zero)
  ) {}

  /** The current time, on the clock deadlines are measured against. */
  now(): number {
    return this.clock.currentTimeMillisUnsafe()
  }

  /** The number of deadlines waiting to pass. */
  get size(): number {
    return this.heap.size
  }

  /** Registers `entry`, whose `deadline` is set, to expire when it passes (at once, once closed). */
  add(entry: Expirable): void {
    if (this.closed) {
      // No timer will run again: the wait fails at once rather than never.
      entry.expire()
      return
    }
    this.heap.add(entry)
    if (entry.deadline < this.armedAt) this.arm(entry.deadline)
  }

  /** Unregisters `entry` if it is registered; it will not expire. */
  remove(entry: Expirable): void {
    // The fiber is left sleeping towards a deadline that may now be gone: it
    // wakes, finds nothing due, and sleeps on. Waking it early would cost more.
    this.heap.remove(entry)
  }

  /**
   * Stops the timer for good (the limiter's layer is closing), and expires
   * the deadlines still registered, so that their waiters fail now instead
   * of waiting for a timer that no longer runs. The fiber itself belongs to
   * the layer's scope, which interrupts it.
   */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      this.generation++
      const fiber = this.fiber
      this.fiber = null
      this.armedAt = Infinity
      const errors = this.heap.expireAll()
      fiber?.interruptUnsafe()
      return errors === undefined ? Effect.void : logErrors(errors)
    })
  }

  /** Starts a fiber that sleeps until `at`, replacing the one that sleeps until later. */
  private arm(at: number): void {
    const generation = ++this.generation
    this.armedAt = at
    this.fiber?.interruptUnsafe()
    this.fiber = this.runFork(this.loop(generation))
  }

  private loop(generation: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (generation !== this.generation) return Effect.void
      const now = this.now()
      const errors = this.heap.expireDue(now, this.sliceSize)
      const top = this.heap.peek()
      const next = top === undefined
        ? Effect.void
        : top.deadline <= now
        // More are due: the rest after a turn of the event loop.
        ? Effect.andThen(this.pause, this.loop(generation))
        : this.sleepUntil(top.deadline, now, generation)
      if (top === undefined) {
        this.armedAt = Infinity
        this.fiber = null
      } else {
        this.armedAt = top.deadline
      }
      return errors === undefined ? next : Effect.andThen(logErrors(errors), next)
    })
  }

  private sleepUntil(deadline: number, now: number, generation: number): Effect.Effect<void> {
    return Effect.andThen(this.clock.sleep(Duration.millis(deadline - now)), this.loop(generation))
  }
}
