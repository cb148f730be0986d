/**
 * A `RedisLimiter` layer's use of the app's `Redis` service: the core's
 * scripts sent through it, its grant channels subscribed, and whether Redis
 * is reachable, logged once per change.
 *
 * The `Redis` service reports no connection events, so reachability is
 * read from the commands themselves: a command that fails without a reply
 * from Redis, or gets none within `commandTimeout`, marks Redis unreachable
 * (guards then fail closed or fall back at once, without sending anything);
 * from then on a `PING` every 25–250 ms finds out when it is back. An error
 * reply (`NOSCRIPT`, `ERR ...`) came from Redis: it fails its call only.
 *
 * @internal
 */
import { type ScriptClient, Scripts } from "@effect-concurrency-limiter/core/redis/client"
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Latch from "effect/Latch"
import * as Redis from "effect/persistence/Redis"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { realSleep } from "./realTime.js"

/** @internal */
export interface Connection {
  readonly scripts: Scripts
  /** Sends one command; rejects without a reply within the command timeout. */
  readonly send: (command: string, ...args: ReadonlyArray<string>) => Promise<unknown>
  /** Whether commands can be sent now; when not, guards fail closed or fall back at once. */
  readonly up: () => boolean
  /** Sends a `PING` when Redis counts as reachable, so that a loss is noticed while idle too. */
  readonly probe: () => void
}

/** @internal */
export interface ConnectOptions {
  readonly commandTimeoutMillis: number
  readonly channels: ReadonlyArray<string>
  readonly onMessage: (channel: string, message: string) => void
  /** Called when Redis is reachable again after it was not, or a channel is subscribed again (e.g. to renew at once). */
  readonly onRecovered: () => void
  /** What guards do while Redis is unreachable, for the log line. */
  readonly whileDown: string
}

/** A command that got no reply in time: Redis may still run it later. */
class NoReply extends Error {
  constructor(millis: number) {
    super(`no reply within ${millis} millis`)
  }
}

/**
 * Whether a failure is Redis's own error reply (`NOSCRIPT No matching
 * script`, `ERR ...`): those start with an upper-case code, connection
 * errors of the clients do not ("The client is offline", "connect
 * ECONNREFUSED ...", "Connection is closed.").
 */
const isErrorReply = (error: unknown): boolean => error instanceof Error && /^[A-Z][A-Z_]+( |$)/.test(error.message)

/** The error a `RedisError` carries, as an `Error`, so that the core's `NOSCRIPT` check reads its message. */
const unwrap = (error: Redis.RedisError): Error =>
  error.cause instanceof Error ? error.cause : new Error(String(error.cause))

/** Delay before the `attempt`th probe or resubscription: soon, so that holders outlast a short outage. */
const backoff = (attempt: number) => Math.min(25 * attempt, 250)

/**
 * Subscribes to the channels and tracks reachability for the scope's
 * lifetime. Never fails: an unreachable Redis is a state the layer serves
 * in (closed or open), and recovers from.
 */
export const connect = (options: ConnectOptions): Effect.Effect<Connection, never, Scope.Scope | Redis.Redis> =>
  Effect.gen(function*() {
    const redis = yield* Redis.Redis
    const context = (yield* Effect.context<never>()) as Context.Context<never>
    const runPromise = Effect.runPromiseWith(context)
    // Log lines written from the clients' callbacks: fibers of a set closed with the layer.
    const runFork = yield* FiberSet.makeRuntime<never>()
    let state: "starting" | "up" | "down" | "closed" = "starting"
    const up = () => state === "up"
    let probing = false
    let probeTimer: ReturnType<typeof setTimeout> | undefined
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        state = "closed"
        clearTimeout(probeTimer)
      })
    )

    const reached = () => {
      if (state === "closed" || state === "up") return
      const recovered = state === "down"
      state = "up"
      if (recovered) {
        runFork(Effect.logWarning("RedisLimiter: Redis is reachable again; permits are held in Redis again"))
        options.onRecovered()
      }
    }
    const lost = (error: unknown) => {
      if (state === "closed" || state === "down") return
      state = "down"
      const reason = error instanceof Error ? error.message : String(error)
      runFork(Effect.logError(`RedisLimiter: Redis is unreachable (${reason}); ${options.whileDown}`))
      if (!probing) probe(1)
    }
    // While down, one PING at a time: with a client that queues commands
    // offline, each waits for the connection, or for its timeout.
    const probe = (attempt: number) => {
      probing = true
      send("PING").then(
        () => {
          probing = false
        },
        () => {
          if (state !== "down") probing = false
          else probeTimer = setTimeout(() => probe(attempt + 1), backoff(attempt))
        }
      )
    }

    const send = (command: string, ...args: ReadonlyArray<string>): Promise<unknown> =>
      new Promise((resolve, reject) => {
        // The timer is on the wall clock: a TestClock must not stop it.
        const timer = setTimeout(() => {
          const error = new NoReply(options.commandTimeoutMillis)
          lost(error)
          reject(error)
        }, options.commandTimeoutMillis)
        runPromise(Effect.mapError(redis.send(command, ...args), unwrap)).then(
          (reply) => {
            clearTimeout(timer)
            reached()
            resolve(reply)
          },
          (error: unknown) => {
            clearTimeout(timer)
            if (isErrorReply(error)) reached()
            else lost(error)
            reject(error)
          }
        )
      })

    // The core's scripts, by hash and by source once when Redis lacks them.
    const client: ScriptClient = {
      evalsha: (sha1, numberOfKeys, ...args) => send("EVALSHA", sha1, String(numberOfKeys), ...args),
      eval: (script, numberOfKeys, ...args) => send("EVAL", script, String(numberOfKeys), ...args)
    }

    // Each channel is listened to by a fiber of the layer's scope, which
    // subscribes again (once Redis is reachable) when the subscription
    // fails. Grants published while it was away are found at the next tick,
    // which runs at once after a new subscription.
    const awaitUp = (attempt: number): Effect.Effect<number> =>
      Effect.flatMap(realSleep(backoff(attempt)), () => up() ? Effect.succeed(attempt) : awaitUp(attempt + 1))
    const subscribed = yield* Effect.forEach(options.channels, (channel) =>
      Effect.gen(function*() {
        const first = yield* Latch.make(false)
        const listen = (attempt: number): Effect.Effect<never> =>
          Effect.scoped(Effect.gen(function*() {
            const queue = yield* redis.subscribe(channel)
            yield* first.open
            if (attempt > 0) options.onRecovered()
            return yield* Effect.forever(
              Effect.flatMap(Queue.take(queue), (message) => Effect.sync(() => options.onMessage(message.channel, message.message)))
            )
          })).pipe(
            // A failed subscription, not the layer closing (an interruption).
            Effect.catchCause((cause) =>
              Cause.hasInterruptsOnly(cause) ? Effect.interrupt : Effect.andThen(first.open, awaitUp(attempt + 1))
            ),
            Effect.flatMap(listen)
          )
        yield* Effect.forkScoped(listen(0))
        return first
      }))

    const connection: Connection = {
      scripts: new Scripts(client),
      send,
      up,
      probe: () => {
        if (state === "up") send("PING").catch(() => {})
      }
    }
    // The first command decides the first state; grants published before the
    // subscriptions would be learnt only at the next heartbeat, so wait for
    // them too (each settles, subscribed or failed, within the command
    // timeout when Redis is unreachable, or the layer goes on without it).
    yield* Effect.promise(() => send("PING").catch(() => {}))
    if (up()) {
      yield* Effect.forEach(subscribed, (latch) => latch.await, { concurrency: "unbounded", discard: true }).pipe(
        Effect.raceFirst(realSleep(options.commandTimeoutMillis))
      )
    }
    return connection
  })
