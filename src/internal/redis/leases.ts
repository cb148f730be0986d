/**
 * The heartbeat's loop: the core's `Heartbeat` beats every period until the
 * layer closes.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Heartbeat } from "@effect-concurrency-limiter/core/redis/heartbeat"

const realSleep = (millis: number): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/**
 * Runs `beat` every period until the layer closes. On the wall clock, not
 * Effect's `Clock`: leases expire in Redis in real time, whatever clock the
 * app's fibers see (a `TestClock` would otherwise stop the renewals).
 *
 * @internal
 */
export const runHeartbeat = (heartbeat: Heartbeat): Effect.Effect<never> =>
  Effect.forever(Effect.zipRight(realSleep(heartbeat.periodMillis), Effect.sync(() => heartbeat.beat())))
