/**
 * Where the models run: a virtual clock and a scheduler that knows when
 * every fiber has parked.
 *
 * `ManualClock` plays the TestClock's part (time moves only when the driver
 * says; sleepers wake in time order, each instant settled before the next)
 * without its cost: `TestClock.adjust` waits for the fibers to park by
 * polling with real `setTimeout(0)`s at every sleeper it wakes, which was
 * most of the wall time of the stress run. `settle` needs no polling: the
 * `CountingScheduler` counts the fiber steps scheduled and not yet run, so
 * the driver yields exactly until no other fiber has anything left to do —
 * not a fixed number of times that a slow machine may find too few.
 */
import { Clock, Duration, Effect, type Fiber, FiberRef, Scheduler } from "effect"

/**
 * The default scheduler, counting the tasks it holds per fiber. (Per fiber:
 * a fiber can have a task queued that will find nothing left to do, its
 * messages drained by an earlier one, so the settling fiber's own tasks are
 * left out of the count rather than assumed to be one.)
 */
export class CountingScheduler implements Scheduler.Scheduler {
  private pending = 0
  private readonly byFiber = new Map<unknown, number>()
  constructor(private readonly inner: Scheduler.Scheduler = Scheduler.defaultScheduler) {}
  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.pending++
    this.byFiber.set(fiber, (this.byFiber.get(fiber) ?? 0) + 1)
    this.inner.scheduleTask(() => {
      this.pending--
      const left = this.byFiber.get(fiber)! - 1
      if (left === 0) this.byFiber.delete(fiber)
      else this.byFiber.set(fiber, left)
      task()
    }, priority, fiber)
  }
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return this.inner.shouldYield(fiber)
  }
  /** Tasks queued for fibers other than `fiber`. */
  pendingBesides(fiber: Fiber.RuntimeFiber<unknown, unknown>): number {
    return this.pending - (this.byFiber.get(fiber) ?? 0)
  }
}

/** More than any step of a model needs; reaching it means a fiber never parks. */
const maxYields = 10_000

/**
 * Yields until every other fiber has parked (on a deferred, a permit, a
 * sleep). Under another scheduler, falls back to a fixed number of yields.
 */
export const settle: Effect.Effect<void> = Effect.flatMap(FiberRef.get(FiberRef.currentScheduler), (scheduler) =>
  scheduler instanceof CountingScheduler
    ? Effect.withFiberRuntime((self) => {
      let yields = 0
      const loop: Effect.Effect<void> = Effect.flatMap(Effect.yieldNow(), () => {
        if (scheduler.pendingBesides(self) === 0) return Effect.void
        if (++yields > maxYields) return Effect.dieMessage(`settle: fibers still busy after ${maxYields} yields`)
        return loop
      })
      return loop
    })
    : Effect.repeatN(Effect.yieldNow(), 40))

interface Timer {
  readonly at: number
  readonly sequence: number
  readonly wake: () => void
}

/** A clock whose time moves only by `adjust`. Starts at 0. */
export class ManualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  private now = 0
  private sequence = 0
  /** Few at a time: a sorted array is all the heap needed. */
  private timers: Array<Timer> = []

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(this.now) * 1_000_000n
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const millis = Duration.toMillis(duration)
    if (millis <= 0) return Effect.yieldNow()
    return Effect.async<void>((resume) => {
      const timer: Timer = { at: this.now + millis, sequence: this.sequence++, wake: () => resume(Effect.void) }
      const i = this.timers.findIndex((t) => t.at > timer.at)
      this.timers.splice(i === -1 ? this.timers.length : i, 0, timer)
      return Effect.sync(() => {
        this.timers = this.timers.filter((t) => t !== timer)
      })
    })
  }

  /**
   * Moves time `millis` forward, waking every sleeper due on the way at its
   * own instant, in order, and settling after each one.
   */
  adjust(millis: number): Effect.Effect<void> {
    const target = this.now + millis
    const step: Effect.Effect<void> = Effect.suspend(() => {
      const due = this.timers[0]
      if (due === undefined || due.at > target) {
        this.now = target
        return Effect.void
      }
      this.now = due.at
      // One sleeper at a time, each settled before the next, even at the same
      // instant (as the TestClock does): what a woken fiber sets off, such as
      // a grant and the first step of the effect it admits, is over before
      // anything else happens, so the models can check a grant from inside
      // the effect it admitted.
      this.timers.shift()!.wake()
      return Effect.zipRight(settle, step)
    })
    return Effect.zipRight(settle, step)
  }
}

/**
 * Runs `f`'s effect with a fresh `ManualClock` and a `CountingScheduler`,
 * for its fibers and every fiber it forks (the limiter's deadline timer
 * included).
 */
export const modelRuntime = <A, E, R>(f: (clock: ManualClock) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const clock = new ManualClock()
    return f(clock).pipe(Effect.withClock(clock), Effect.withScheduler(new CountingScheduler()))
  })
