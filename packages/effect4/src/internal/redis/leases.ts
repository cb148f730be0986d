/**
 * The heartbeat's loop: the core's `Heartbeat` beats every period until the
 * layer closes.
 *
 * @internal
 */
import type { Heartbeat } from "@effect-concurrency-limiter/core/redis/heartbeat"
import * as Effect from "effect/Effect"
import { realSleep } from "./realTime.js"

/**
 * Runs `beat` every period until the layer closes. On the wall clock, not
 * Effect's `Clock`: leases expire in Redis in real time, whatever clock the
 * app's fibers see (a `TestClock` would otherwise stop the renewals).
 *
 * @internal
 */
export const runHeartbeat = (heartbeat: Heartbeat): Effect.Effect<never> =>
  Effect.forever(Effect.andThen(realSleep(heartbeat.periodMillis), Effect.sync(() => heartbeat.beat())))
