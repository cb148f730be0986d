/**
 * The driver the call-based models share (adaptive, outbound): each call
 * starts at its own virtual time and may be interrupted at another; the
 * clock then runs the scenario to its end, and how each call ended is
 * checked — a planned interruption, a success, or a failure the model
 * expects. Anything else (a defect of the limiter's own, an interruption
 * nobody planned) is a violation.
 */
import { Cause, Duration, Effect, Exit, Fiber } from "effect"
import type { Counter } from "./check.js"
import type { ManualClock } from "./runtime.js"

/** When a call starts and, if ever, when it is interrupted (virtual millis). */
export interface TimedCall {
  readonly start: number
  readonly interruptAt: number | undefined
}

/**
 * Runs `calls` on `clock` for `millis`, each through `run` (then `after`),
 * and pushes onto `violations` every ending that is neither a planned
 * interruption, a success, nor a failure `expected` accepts.
 */
export const runTimedCalls = <C extends TimedCall, R>(options: {
  readonly calls: ReadonlyArray<C>
  readonly run: (call: C, i: number) => Effect.Effect<unknown, unknown, R>
  readonly expected: (cause: Cause.Cause<unknown>) => boolean
  readonly describe: (call: C, i: number) => string
  readonly clock: ManualClock
  readonly counter: Counter
  readonly violations: Array<string>
  readonly after?: Effect.Effect<void> | undefined
  readonly millis?: number | undefined
}): Effect.Effect<void, never, R> =>
  Effect.gen(function*() {
    const { calls, run, violations } = options
    const fibers = yield* Effect.forEach(calls, (c, i) =>
      Effect.gen(function*() {
        options.counter.ops++
        const fiber = yield* Effect.fork(Effect.sleep(Duration.millis(c.start)).pipe(
          Effect.zipRight(Effect.suspend(() => Effect.exit(run(c, i)))),
          Effect.zipLeft(options.after ?? Effect.void)
        ))
        if (c.interruptAt !== undefined) {
          yield* Effect.fork(Effect.sleep(Duration.millis(c.interruptAt)).pipe(Effect.zipRight(Fiber.interrupt(fiber))))
        }
        return fiber
      }))
    yield* options.clock.adjust(options.millis ?? 2000)
    const exits = yield* Effect.forEach(fibers, Fiber.await)
    exits.forEach((exit, i) => {
      if (Exit.isFailure(exit)) {
        if (!Cause.isInterruptedOnly(exit.cause) || calls[i].interruptAt === undefined) {
          violations.push(`#${i} ended with ${Cause.pretty(exit.cause)}`)
        }
        return
      }
      if (Exit.isSuccess(exit.value) || options.expected(exit.value.cause)) return
      violations.push(`${options.describe(calls[i], i)} ended with ${Cause.pretty(exit.value.cause)}`)
    })
  })
