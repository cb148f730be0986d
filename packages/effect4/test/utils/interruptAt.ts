/**
 * A scheduler that counts the ops of the fibers run under it and interrupts
 * one at op number `at`, for the interruption sweeps.
 *
 * Effect 4 has no supervisor that sees every op, but the run loop asks its
 * scheduler's `shouldYield` before every op of every fiber started under
 * it. At the chosen op this one makes the fiber yield, and sends the
 * interrupt from a task queued ahead of the fiber's resumption: the
 * interrupt lands while the fiber is suspended at exactly that op boundary,
 * as one sent by another fiber would.
 */
import type * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"

/** Counts the ops of the fibers run under it and interrupts one (the `target`, or the fiber at that op) at op number `at`. */
export class InterruptAt implements Scheduler.Scheduler {
  count = 0
  target: Fiber.Fiber<unknown, unknown> | undefined = undefined
  constructor(readonly inner: Scheduler.Scheduler, readonly at: number, readonly whom: "root" | "current") {}
  get executionMode() {
    return this.inner.executionMode
  }
  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    if (this.count++ !== this.at) return this.inner.shouldYield(fiber)
    const victim = this.whom === "root" ? this.target : fiber
    fiber.currentDispatcher.scheduleTask(() => victim?.interruptUnsafe(), 0)
    return true
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this.inner.makeDispatcher()
  }
}

