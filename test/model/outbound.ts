/**
 * An adaptive resource shared by the three ways of holding its permits:
 * direct guards (`Limiter.withResources`), scoped acquisitions
 * (`Limiter.acquire`) and `LimitedHttpClient` calls against a fake upstream
 * that answers 200, 503 or a transport failure after a while, whose bodies
 * are read (for a while), or never read (given back after the client's
 * `unreadBodyTimeout`), in a scope of the call's or not. Calls start, wait,
 * time out and are interrupted at random moments — queued, holding,
 * in flight, reading — on the virtual clock.
 *
 * Checked: a call only starts its work (a guarded effect, the work of a
 * scope, the upstream serving a request) when the permits in use leave room
 * under the capacity the limit stood at while it waited; every call ends
 * with its own ending, a BusyError or an interruption (a permit released
 * twice would be a defect); the algorithm is fed at most one sample per
 * grant; and at quiescence nothing is in use, waiting or running.
 */
import { type HttpClientRequest, HttpClient, HttpClientError, HttpClientResponse, HttpIncomingMessage } from "@effect/platform"
import { Cause, Duration, Effect, Inspectable, Option, Stream } from "effect"
import * as fc from "effect/FastCheck"
import { BusyError, Limit, LimitedHttpClient, Limiter, Resource } from "effect-concurrency-limiter"
import { type Counter, expectEqual, uncounted } from "./check.js"
import { modelRuntime } from "./runtime.js"
import { runTimedCalls } from "./timedCalls.js"

export const call = fc.record({
  kind: fc.constantFrom("guard", "acquire", "client"),
  start: fc.integer({ min: 0, max: 200 }),
  /** How long the work runs: the guarded effect, the scope's work, or the upstream before its headers. */
  hold: fc.integer({ min: 0, max: 60 }),
  /** Guards and scopes: how the work ends. Client calls: how the upstream answers. */
  ending: fc.oneof(
    { weight: 4, arbitrary: fc.constant("succeed" as const) },
    { weight: 1, arbitrary: fc.constantFrom("fail" as const, "die" as const) }
  ),
  /** Client calls: how long reading the body takes; `undefined`: it is never read. */
  read: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined, freq: 4 }),
  /** Client calls: made inside a scope of their own, closed when the call returns (and the body is read). */
  scoped: fc.boolean(),
  /** The call's own deadline; `undefined`: the layer's 100 ms. */
  timeout: fc.option(fc.integer({ min: 0, max: 80 }), { nil: undefined }),
  /** One call in four is interrupted: waiting, holding, in flight or reading, by when it lands. */
  interruptAt: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 300 }) }
  )
})

export type Call = typeof call extends fc.Arbitrary<infer T> ? T : never

export const scenario = (maxLength = 30, size: fc.SizeForArbitrary = "medium") => fc.array(call, { maxLength, size })

/** The algorithm, recording every limit it stands for and counting the samples of ended calls. */
const recording = (limit: Limit.Limit<any>) => {
  const history: Array<number> = []
  const fed = { samples: 0 }
  return {
    history,
    fed,
    limit: {
      ...limit,
      limitOf: (state: unknown) => {
        const n = limit.limitOf(state)
        history.push(n)
        return n
      },
      update: (state: unknown, sample: Limit.Sample) => {
        if (sample.outcome !== "dropped") fed.samples++
        return limit.update(state, sample)
      }
    } satisfies Limit.Limit<any>
  }
}

/** A response with a body read from memory in `readMillis` of the model's clock: no web stream, no promise. */
const response = (request: HttpClientRequest.HttpClientRequest, status: number, readMillis: number) => {
  const text = Effect.as(Effect.sleep(Duration.millis(readMillis)), "body")
  return {
    [HttpClientResponse.TypeId]: HttpClientResponse.TypeId,
    [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId,
    request,
    status,
    headers: {},
    cookies: undefined,
    remoteAddress: Option.none(),
    text,
    json: text,
    arrayBuffer: Effect.as(text, new ArrayBuffer(4)),
    formData: Effect.die("unused"),
    urlParamsBody: Effect.die("unused"),
    stream: Stream.fromEffect(Effect.as(text, new Uint8Array(4))),
    toJSON: () => ({ status }),
    toString: () => `response ${status}`,
    [Inspectable.NodeInspectSymbol]: () => ({ status })
  } as unknown as HttpClientResponse.HttpClientResponse
}

/** Names reused round-robin: the metric registry never forgets a series. */
let runs = 0

/**
 * Runs `calls` against one AIMD resource; fails with a `ModelMismatch` (a
 * defect) listing every violation. Runs on a `ManualClock` of its own.
 */
export const runScenario = (calls: ReadonlyArray<Call>, counter: Counter = uncounted()) => {
  const { fed, history, limit } = recording(
    Limit.aimd({ initial: 2, min: 1, max: 6, backoffRatio: 0.5, timeoutMillis: 1000 })
  )
  const name = `OutboundModel${runs++ % 16}`
  const Db = Resource.make(name, { capacity: limit })
  return modelRuntime((clock) =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.Limiter
      const violations: Array<string> = []
      let running = 0
      let grants = 0
      const stats = Effect.map(limiter.stats, (all) => all[0])

      /** The first step of a call's work: it holds its permit now, under the capacity it waited for. */
      const granted = (i: number, waitedFrom: number) =>
        Effect.map(stats, (s) => {
          running++
          grants++
          const room = Math.max(...history.slice(waitedFrom))
          if (s.inUse > room) violations.push(`#${i} granted with ${s.inUse} in use, capacity at most ${room}`)
          if (running > room) violations.push(`#${i} granted with ${running} running, capacity at most ${room}`)
        })

      const work = (c: Call, i: number, waitedFrom: number) =>
        Effect.gen(function*() {
          yield* granted(i, waitedFrom)
          yield* Effect.sleep(Duration.millis(c.hold))
          if (c.ending === "fail") return yield* Effect.fail("failed")
          if (c.ending === "die") return yield* Effect.die("died")
        }).pipe(Effect.onExit(() => Effect.sync(() => running--)))

      // The upstream: call i's request is served for `hold` ms, then answered.
      const waitedFromOf = new Map<number, number>()
      const upstream = HttpClient.make((request) => {
        const i = Number(new URL(request.url).pathname.slice(1))
        const c = calls[i]
        return Effect.orDie(work({ ...c, ending: "succeed" }, i, waitedFromOf.get(i)!)).pipe(
          Effect.zipRight(
            c.ending === "die"
              ? Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport" }))
              : Effect.succeed(response(request, c.ending === "fail" ? 503 : 200, c.read ?? 0))
          )
        )
      })
      const client = yield* LimitedHttpClient.make(upstream, { resources: [Db], unreadBodyTimeout: 50 })

      const run = (c: Call, i: number): Effect.Effect<unknown, unknown, Limiter.Limiter | Resource.Resource.Identifier<string>> => {
        const options = c.timeout === undefined ? undefined : { timeout: c.timeout }
        const waitedFrom = history.length - 1
        if (c.kind === "guard") return Limiter.withResources([Db], options)(work(c, i, waitedFrom))
        if (c.kind === "acquire") return Effect.scoped(Effect.zipRight(Limiter.acquire([Db], options), work(c, i, waitedFrom)))
        waitedFromOf.set(i, waitedFrom)
        const get = Effect.flatMap(client.get(`http://upstream.test/${i}`), (r) => c.read === undefined ? Effect.void : r.text)
        return c.scoped ? Effect.scoped(get) : get
      }

      yield* runTimedCalls({
        calls,
        run,
        clock,
        counter,
        violations,
        describe: (c, i) => `#${i} (${c.kind})`,
        expected: (cause) =>
          Cause.isInterruptedOnly(cause) ||
          Option.exists(
            Cause.failureOption(cause),
            (e) => e === "failed" || e instanceof BusyError.BusyError || HttpClientError.isHttpClientError(e)
          ) ||
          Option.exists(Cause.dieOption(cause), (d) => d === "died")
      })
      if (fed.samples > grants) violations.push(`${fed.samples} samples fed for ${grants} grants: a release counted twice`)
      expectEqual(violations, [], "violations")
      const quiescent = yield* stats
      expectEqual([quiescent.inUse, quiescent.waiting, running], [0, 0, 0], "in use, waiting, running at quiescence")
    }).pipe(Effect.scoped, Effect.provide(Limiter.layer({ timeout: "100 millis", resources: [Db] })))
  )
}
