/**
 * The two Redis connections of a `RedisLimiter` layer — one for commands,
 * one subscribed to the resources' grant channels — and whether Redis is
 * reachable, logged once per change.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import { Scripts } from "@effect-concurrency-limiter/core/redis/client"

/** @internal */
export interface Connection {
  readonly client: Redis
  readonly scripts: Scripts
  /** Whether commands can be sent now; when not, guards fail closed or fall back at once. */
  readonly up: () => boolean
}

/** @internal */
export interface ConnectOptions {
  readonly url: string
  readonly commandTimeoutMillis: number
  readonly channels: ReadonlyArray<string>
  readonly onMessage: (channel: string, message: string) => void
  /** Called when Redis is reachable again after it was not (e.g. to renew at once). */
  readonly onRecovered: () => void
  /** What guards do while Redis is unreachable, for the log line. */
  readonly whileDown: string
}

/** The URL without its password, for logs. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return "(malformed URL)"
  }
}

const clientOptions = (commandTimeoutMillis: number, offlineQueue: boolean) => ({
  // A guard must not wait for Redis to come back: it fails closed or falls
  // back at once. The subscriber queues its SUBSCRIBE until connected.
  enableOfflineQueue: offlineQueue,
  maxRetriesPerRequest: offlineQueue ? null : 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: offlineQueue ? undefined : commandTimeoutMillis,
  // Reconnect soon: holders whose lease is not renewed within ¾ of the TTL
  // are interrupted, so a short outage should end well before that.
  retryStrategy: (attempt: number) => Math.min(25 * attempt, 250),
  lazyConnect: true
})

/**
 * Connects, waiting for the first attempt to end but not failing if Redis is
 * unreachable: the layer serves anyway (closed or open) and recovers when
 * Redis comes.
 */
export const connect = (options: ConnectOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function*() {
    // The log lines of ioredis's events: fibers of a set closed with the layer.
    const runFork = yield* FiberSet.makeRuntime<never>()
    // Loaded here, not at the top: ioredis is an optional peer dependency,
    // needed only by apps that use this layer.
    const { Redis } = yield* Effect.tryPromise(() => import("ioredis")).pipe(
      Effect.orDieWith((cause) =>
        new Error(`RedisLimiter needs the ioredis package (npm install ioredis), which could not be loaded: ${String(cause)}`)
      )
    )
    const where = redactUrl(options.url)
    const client = new Redis(options.url, clientOptions(options.commandTimeoutMillis, false))
    const subscriber = new Redis(options.url, clientOptions(options.commandTimeoutMillis, true))
    let state: "starting" | "up" | "down" | "closed" = "starting"
    const down = (reason: string) => {
      if (state === "down" || state === "closed") return
      state = "down"
      runFork(Effect.logError(`RedisLimiter: Redis at ${where} is unreachable (${reason}); ${options.whileDown}`))
    }
    client.on("ready", () => {
      if (state === "closed") return
      const recovered = state === "down"
      state = "up"
      if (recovered) {
        runFork(Effect.logWarning(`RedisLimiter: Redis at ${where} is reachable again; permits are held in Redis again`))
        options.onRecovered()
      }
    })
    client.on("error", (error: Error) => {
      if (client.status !== "ready") down(error.message)
    })
    client.on("close", () => down("connection closed"))
    // Errors of the subscriber show on the client too; this keeps ioredis quiet.
    subscriber.on("error", () => {})
    subscriber.on("message", options.onMessage)
    subscriber.on("ready", () => {
      if (state === "up") options.onRecovered()
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        state = "closed"
        client.disconnect()
        subscriber.disconnect()
      })
    )
    const first = yield* Effect.promise(() => client.connect().then(() => true, () => false))
    if (!first) down("first connection failed")
    subscriber.connect().catch(() => {})
    const subscribed = options.channels.length === 0
      ? Promise.resolve()
      : subscriber.subscribe(...options.channels).then(() => {}, () => {})
    // Grants published before the subscription would be learnt only at the
    // next heartbeat: wait for it, unless Redis is unreachable.
    if (first) yield* Effect.promise(() => subscribed).pipe(Effect.timeout(options.commandTimeoutMillis), Effect.ignore)
    return { client, scripts: new Scripts(client), up: () => client.status === "ready" }
  })
