import { HttpClient, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Effect, TestClock } from "effect"
import { Limiter } from "effect-concurrency-limiter"

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

/** Waits until `n` fibers sleep on the TestClock. */
export const sleepers = (n: number) => until(Effect.map(TestClock.sleeps(), (s) => s.length === n), `${n} sleeper(s)`)

/** Permits in use and queue length of every resource, e.g. `{ Api: [1, 0] }`. */
export const usage = Effect.flatMap(Limiter.Limiter, (limiter) => limiter.stats).pipe(
  Effect.map((all) => Object.fromEntries(all.map((s) => [s.resource, [s.inUse, s.waiting]])))
)
