/**
 * Helpers the Effect 4 line's tests share.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"

/** Lets forked fibers run until they park (a grant's resumption takes a scheduler turn). */
export const settle: Effect.Effect<void> = Effect.repeat(Effect.yieldNow, { times: 40 })

/** The message of the defect an exit died with, for asserting on it. */
export const defectMessage = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return "<success>"
  const die = exit.cause.reasons.find(Cause.isDieReason)
  return die !== undefined && die.defect instanceof Error ? die.defect.message : Cause.pretty(exit.cause)
}

/** Whether an exit is an interruption and nothing else. */
export const isInterrupted = <A, E>(exit: Exit.Exit<A, E>): boolean =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)

/** The exit of a fiber if it has ended, `undefined` while it runs. */
export const poll = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<Exit.Exit<A, E> | undefined> =>
  Effect.sync(() => fiber.pollUnsafe())
