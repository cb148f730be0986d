/**
 * A fake upstream for the limited client's tests (no sockets), and the
 * helpers that drive it on the TestClock.
 */
import { Limiter } from "@effect-concurrency-limiter/effect4"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"

/** What the fake upstream answers: a status, headers, and a body (text, or a stream the test drives). */
export interface Answer {
  readonly status?: number
  readonly headers?: Record<string, string>
  readonly body?: string | ReadableStream<Uint8Array> | null
}

/**
 * An `HttpClient` that answers from a script, without sockets, and records
 * the requests it got (method, url) in order: a request never sent is a
 * request never counted.
 */
export const fakeClient = (answer: (request: HttpClientRequest.HttpClientRequest, n: number) => Answer) => {
  const calls: Array<{ readonly method: string; readonly url: string }> = []
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      calls.push({ method: request.method, url: request.url })
      const { body = "ok", headers = {}, status = 200 } = answer(request, calls.length)
      return HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))
    })
  )
  return { client, calls }
}

/** A body the test writes to and closes. */
export const controlledBody = () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
  return {
    stream,
    push: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    close: () => controller.close()
  }
}

/** Lets promise-based work (web bodies) run: one macrotask turn, which the TestClock does not govern. */
export const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Turns the event loop until `condition` holds, at most `turns` times; fails the test otherwise. */
export const until = <E, R>(condition: Effect.Effect<boolean, E, R>, what: string, turns = 200) =>
  Effect.gen(function*() {
    for (let i = 0; i < turns; i++) {
      if (yield* condition) return
      yield* tick
    }
    return yield* Effect.die(new Error(`not reached: ${what}`))
  })

/**
 * When the pending sleeps on the TestClock end, in epoch millis, earliest
 * first. Effect 4's `TestClock` has no public list of its sleeps (Effect
 * 3's `TestClock.sleeps()`): this reads its implementation's, and fails the
 * test loudly if that ever goes away.
 */
export const pendingWakes: Effect.Effect<ReadonlyArray<number>> = TestClock.testClockWith((clock) =>
  Effect.sync(() => {
    const sleeps = (clock as unknown as { readonly sleeps?: ReadonlyArray<{ readonly timestamp: number }> }).sleeps
    if (!Array.isArray(sleeps)) throw new Error("TestClock: no list of sleeps to read")
    return sleeps.map((sleep) => sleep.timestamp).sort((a, b) => a - b)
  })
)

/** Waits until `n` fibers sleep on the TestClock. */
export const sleepers = (n: number) => until(Effect.map(pendingWakes, (wakes) => wakes.length === n), `${n} sleeper(s)`)

/**
 * The delay of the only sleep there is, read off the TestClock: the clock
 * does not move while the client runs between two attempts, so the sleep
 * started now.
 */
export const pendingDelay = Effect.gen(function*() {
  yield* sleepers(1)
  const [wake] = yield* pendingWakes
  return wake! - (yield* TestClock.testClockWith((clock) => clock.currentTimeMillis))
})

/** Permits in use and queue length of every resource, e.g. `{ Api: [1, 0] }`. */
export const usage = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats).pipe(
  Effect.map((all) => Object.fromEntries(all.map((s) => [s.resource, [s.inUse, s.waiting]])))
)

/** Runs `effect` with no `Scope` in its context (`it.effect` provides one), as a call outside any scope is. */
export const outsideAnyScope = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Scope.Scope>> =>
  Effect.updateContext(effect as Effect.Effect<A, E, never>, (context: Context.Context<never>) =>
    Context.omit(Scope.Scope)(context)) as Effect.Effect<A, E, Exclude<R, Scope.Scope>>
