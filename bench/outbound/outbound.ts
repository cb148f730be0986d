/**
 * `npm run bench:outbound`: the post's scenario (an API that allows 100
 * requests per second and answers 429 beyond) with four clients side by
 * side in one run, each sending the same requests to the same local
 * upstream (`examples/upstream.ts`: 100 per sliding second, at most 10 at
 * once, 40 ms per request):
 *
 * 1. naive: every request at once, no limit (the post's first version);
 * 2. post: a semaphore of 3 and a one-second sleep whenever it is full (the
 *    post's fix);
 * 3. concurrency only: `LimitedHttpClient` with a resource of capacity 10,
 *    no rate, no retry;
 * 4. limited: the same plus a rate (fixed window, 10 per 100 ms) and
 *    retries on 429 that honour `Retry-After`.
 *
 * All four share one HTTP connection pool configuration (100 connections,
 * httpx's default, like the post's client). Each client has a time budget:
 * what is not done by then is interrupted and counted as not done, so the
 * post's client (~3 requests a second) stops long before 2,000. Between
 * clients the upstream's counters and window are reset. Before the first,
 * a warm-up of 50 requests (not counted) opens the pool's connections and
 * warms the JIT for all four alike.
 *
 * Options: --requests 2000  --budget 60 (seconds per client)
 *          --clients naive,post,concurrency,limited  --runs 1
 *          --token-bucket (the limited client's rate as a token bucket of 5 per 50 ms instead)
 */
import { HttpClient, type HttpClientError } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { Duration, Effect, Layer } from "effect"
import { BusyError, LimitedHttpClient, Limiter, Resource, Semaphore } from "effect-concurrency-limiter"
import { parseArgs } from "node:util"
import { Agent } from "undici"
import * as Upstream from "../../examples/upstream.js"
import { assertLoopback } from "../load/runner.js"

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    budget: { type: "string", default: "60" },
    clients: { type: "string", default: "naive,post,concurrency,limited" },
    runs: { type: "string", default: "1" },
    "token-bucket": { type: "boolean", default: false }
  }
})
const requests = Number(args.requests)
const budget = Duration.seconds(Number(args.budget))
const runs = Number(args.runs)
if (!Number.isSafeInteger(requests) || requests <= 0 || !Number.isSafeInteger(runs) || runs <= 0) {
  throw new Error("--requests and --runs must be positive integers")
}

/** The upstream API, as the limiter knows it: at most 10 requests in flight. */
export const Api = Resource.make("Api", { capacity: 10 })

/**
 * The limited client's rate: the allowance in tenths, 10 per 100 ms. A fixed
 * window restarts only once it has passed, so under steady demand no second
 * holds more than 10 windows' worth (see docs/outbound.md for the worst case
 * and for the token bucket).
 */
export const rate: LimitedHttpClient.RateOptions = args["token-bucket"]
  ? { limit: 5, interval: "50 millis", algorithm: "token-bucket" }
  : { limit: 10, interval: "100 millis", algorithm: "fixed-window" }

type Get = (id: number) => Effect.Effect<number, HttpClientError.HttpClientError | BusyError.BusyError>

interface Client {
  readonly name: string
  readonly label: string
  /** Sends all the requests; `send` reports each status to the counters. */
  readonly run: (
    base: HttpClient.HttpClient,
    url: string,
    send: (get: Get, id: number) => Effect.Effect<void>
  ) => Effect.Effect<void, never, Limiter.Limiter | Resource.Resource.Identifiers<[typeof Api]>>
}

const ids = Array.from({ length: requests }, (_, i) => i)

/** A GET that reads the body (releasing the permit) and answers the status. */
const getWith = (client: HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError.BusyError>, url: string): Get => (id) =>
  client.get(`${url}/items/${id}`).pipe(Effect.flatMap((response) => Effect.as(response.text, response.status)))

const clients: ReadonlyArray<Client> = [
  {
    name: "naive",
    label: "naive (unbounded)",
    run: (base, url, send) => Effect.forEach(ids, (id) => send(getWith(base, url), id), { concurrency: "unbounded", discard: true })
  },
  {
    name: "post",
    label: "post: semaphore(3) + 1 s sleep",
    run: (base, url, send) =>
      Effect.gen(function*() {
        const semaphore = yield* Semaphore.make(3)
        const get = getWith(base, url)
        // `async with limit: r = await get(); if limit.locked(): await sleep(1)`
        const one: Get = (id) =>
          Effect.gen(function*() {
            const status = yield* get(id)
            const stats = semaphore.unsafeStats()
            if (stats.inUse >= stats.capacity) yield* Effect.sleep("1 second")
            return status
          }).pipe(semaphore.withPermits(1))
        yield* Effect.forEach(ids, (id) => send(one, id), { concurrency: "unbounded", discard: true })
      })
  },
  {
    name: "concurrency",
    label: "concurrency only (capacity 10)",
    run: (base, url, send) =>
      Effect.gen(function*() {
        const client = yield* LimitedHttpClient.make(base, { resources: [Api] })
        yield* Effect.forEach(ids, (id) => send(getWith(client, url), id), { concurrency: "unbounded", discard: true })
      }).pipe(Effect.scoped, Effect.orDie)
  },
  {
    name: "limited",
    label: `limited: capacity 10 + rate (${rate.algorithm} ${rate.limit}/${rate.interval}) + retry`,
    run: (base, url, send) =>
      Effect.gen(function*() {
        const client = yield* LimitedHttpClient.make(base, { resources: [Api], rate, retry: { times: 5 } })
        yield* Effect.forEach(ids, (id) => send(getWith(client, url), id), { concurrency: "unbounded", discard: true })
      }).pipe(Effect.scoped, Effect.orDie)
  }
]

export interface Result {
  readonly client: string
  readonly wallMs: number
  readonly budgetHit: boolean
  readonly done: number
  readonly ok: number
  readonly callerSaw429: number
  readonly otherFailures: number
  readonly upstream: Upstream.UpstreamStats
}

const runClient = (client: Client) =>
  Effect.gen(function*() {
    const upstream = yield* Upstream.Upstream
    const base = yield* HttpClient.HttpClient
    assertLoopback(upstream.url)
    yield* upstream.reset
    const counts = { done: 0, ok: 0, callerSaw429: 0, otherFailures: 0 }
    const send = (get: Get, id: number) =>
      get(id).pipe(
        Effect.match({
          onFailure: () => counts.otherFailures++,
          onSuccess: (status) => status === 200 ? counts.ok++ : status === 429 ? counts.callerSaw429++ : counts.otherFailures++
        }),
        Effect.zipRight(Effect.sync(() => counts.done++))
      )
    const start = performance.now()
    const finished = yield* client.run(base, upstream.url, send).pipe(Effect.timeoutOption(budget))
    const wallMs = performance.now() - start
    const stats = yield* upstream.stats
    const limiter = yield* Limiter.Limiter
    const leftover = (yield* limiter.stats).find((s) => s.inUse > 0 || s.waiting > 0)
    if (leftover !== undefined) throw new Error(`${client.name}: permits left taken: ${JSON.stringify(leftover)}`)
    return { client: client.label, wallMs, budgetHit: finished._tag === "None", ...counts, upstream: stats } satisfies Result
  })

const fmt = (n: number) => n.toLocaleString("en-US")

const table = (results: ReadonlyArray<Result>, allowance: number) =>
  [
    "| client | wall time | done | successes | 429s seen by the upstream | 429s seen by the caller | other failures | successes/s, share of the allowance | peak concurrent / peak per window at the upstream |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...results.map((r) => {
      const rate = r.ok / (r.wallMs / 1000)
      const upstream429 = r.upstream.rejectedRate + r.upstream.rejectedConcurrency
      return `| ${r.client} | ${(r.wallMs / 1000).toFixed(1)} s${r.budgetHit ? " (budget)" : ""} | ${fmt(r.done)} of ${
        fmt(requests)
      } | ${fmt(r.ok)} | ${fmt(upstream429)} (${fmt(r.upstream.rejectedRate)} rate, ${
        fmt(r.upstream.rejectedConcurrency)
      } concurrency) | ${fmt(r.callerSaw429)} | ${fmt(r.otherFailures)} | ${rate.toFixed(1)}/s, ${
        (100 * rate / allowance).toFixed(0)
      } % | ${r.upstream.peakConcurrent} / ${r.upstream.peakInWindow} |`
    })
  ].join("\n")

const chosen = args.clients.split(",").map((name) => {
  const client = clients.find((c) => c.name === name.trim())
  if (client === undefined) throw new Error(`unknown client ${name}; expected one of ${clients.map((c) => c.name).join(", ")}`)
  return client
})

const warmUp = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const client = yield* LimitedHttpClient.make(yield* HttpClient.HttpClient, { resources: [Api], retry: {} })
  yield* Effect.forEach(ids.slice(0, 50), getWith(client, upstream.url), { concurrency: "unbounded", discard: true })
  yield* upstream.reset
}).pipe(Effect.scoped, Effect.orDie)

const program = Effect.gen(function*() {
  const upstream = yield* Upstream.Upstream
  const allowance = upstream.limit / Duration.toSeconds(upstream.window)
  process.stderr.write(
    `upstream ${upstream.url}: ${upstream.limit} per ${Duration.format(upstream.window)} (sliding), ` +
      `${upstream.maxConcurrent} concurrent; ${fmt(requests)} requests per client, budget ${Duration.format(budget)}\n`
  )
  yield* warmUp
  for (let run = 1; run <= runs; run++) {
    const results: Array<Result> = []
    for (const client of chosen) {
      const result = yield* runClient(client)
      process.stderr.write(`run ${run} ${client.name}: ${(result.wallMs / 1000).toFixed(1)} s, ${result.ok} ok\n`)
      results.push(result)
    }
    console.log(`\nRun ${run} of ${runs}, ${new Date().toISOString()}\n`)
    console.log(table(results, allowance))
  }
})

/** httpx's default pool (100 connections), for every client alike. */
const HttpClientLive = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Agent({ connections: 100 })), (agent) => Effect.promise(() => agent.close())),
    (agent) => NodeHttpClient.makeUndici(agent as any)
  )
)

Effect.runPromise(
  program.pipe(
    Effect.provide(Layer.mergeAll(
      Upstream.layer(),
      HttpClientLive,
      Limiter.layer({ timeout: "2 minutes", resources: [Api] })
    )),
    Effect.orDie
  )
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
