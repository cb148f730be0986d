/**
 * Compile-time guarantees. This file is never run: `tsc --noEmit` (npm run
 * typecheck, which CI runs before the tests) checks it, so a wrong type
 * fails CI. `expectTypeOf(x).toEqualTypeOf<T>()` fails unless x's type is
 * exactly T (an assignment would also accept a narrower type: an `E` of
 * `never` where `BusyError` is promised); every `@ts-expect-error` must stay
 * an error, and each sits next to a positive check of the type that makes it
 * one. The run-time refusals of the same mistakes made around the types
 * (from JavaScript, or with a cast) are tested in Limiter.test.ts and
 * Limiter.queue.test.ts.
 */
import { HttpClient, type HttpClientError, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { Effect, Layer, type Scope } from "effect"
import { type BusyError, LimitedHttpClient, type LimiterConfigError, Limiter, Resource } from "effect-concurrency-limiter"
import { expectTypeOf } from "vitest"

const Db = Resource.make("Db", { capacity: 5 })
const Fs = Resource.make("Fs", { capacity: 10 })
const Cache = Resource.make("Cache", { capacity: 1 })

type Id<Name extends string> = Resource.Resource.Identifier<Name>

const LimiterLive = Limiter.layer({ timeout: "5 seconds", resources: [Db, Fs] })

// A guard adds BusyError to E, and the limiter and the resources to R; the layer provides them all.
{
  const guarded = Effect.succeed(1).pipe(Limiter.withResources([Db, Fs]))
  expectTypeOf(guarded).toEqualTypeOf<Effect.Effect<number, BusyError.BusyError, Limiter.Limiter | Id<"Db"> | Id<"Fs">>>()
  expectTypeOf(Effect.provide(guarded, Layer.orDie(LimiterLive))).toEqualTypeOf<Effect.Effect<number, BusyError.BusyError>>()
}

// A scoped acquisition needs a Scope, the limiter and the resources, and fails with BusyError.
{
  const acquired = Limiter.acquire([Db, Fs])
  expectTypeOf(acquired).toEqualTypeOf<
    Effect.Effect<void, BusyError.BusyError, Scope.Scope | Limiter.Limiter | Id<"Db"> | Id<"Fs">>
  >()
  expectTypeOf(Effect.scoped(Effect.provide(acquired, Layer.orDie(LimiterLive)))).toEqualTypeOf<
    Effect.Effect<void, BusyError.BusyError>
  >()
  // Without a Scope, Scope is left in the requirements.
  expectTypeOf(Effect.provide(acquired, Layer.orDie(LimiterLive))).toEqualTypeOf<
    Effect.Effect<void, BusyError.BusyError, Scope.Scope>
  >()
}

// A resource the app's layer does not provide is left in R, so the app does not compile.
{
  const guarded = Effect.succeed(1).pipe(Limiter.withResources([Cache]))
  const provided = Effect.provide(guarded, Layer.orDie(LimiterLive))
  expectTypeOf(provided).toEqualTypeOf<Effect.Effect<number, BusyError.BusyError, Id<"Cache">>>()
  // @ts-expect-error Cache is not provided by LimiterLive
  expectTypeOf(provided).toEqualTypeOf<Effect.Effect<number, BusyError.BusyError>>()
}

// The same holds for an HttpRouter app.
{
  const router = HttpRouter.empty.pipe(
    HttpRouter.get("/db", HttpServerResponse.text("rows").pipe(Limiter.withResources([Db]))),
    HttpRouter.get("/cache", HttpServerResponse.text("hit").pipe(Limiter.withResources([Cache])))
  )
  const served = HttpServer.serve(router).pipe(Layer.provide(LimiterLive))
  expectTypeOf<Layer.Layer.Context<typeof served>>().toEqualTypeOf<HttpServer.HttpServer | Id<"Cache">>()
  // @ts-expect-error Cache is left in the requirements: only Db and Fs are provided
  expectTypeOf(served).toExtend<Layer.Layer<never, unknown, HttpServer.HttpServer>>()
}

// A resource listed twice, or no resource, does not compile.
export const listedTwice = () => {
  // @ts-expect-error Db is listed twice
  Limiter.withResources([Db, Db])
  // @ts-expect-error Db is listed twice, in another place
  Limiter.withResources([Db, Fs, Db])
  // @ts-expect-error at least one resource
  Limiter.withResources([])
  // The same resources once each compile.
  expectTypeOf(Limiter.withResources([Db, Fs])).toBeFunction()
}

// A capacity is a number or a Config of one.
export const capacityIsANumber = () => {
  // @ts-expect-error capacity is a number
  Resource.make("Db", { capacity: "5" })
  Resource.make("Db", { capacity: 5 })
}

// A limited client needs its resources in R, and adds BusyError to the client's errors.
{
  const make = Effect.flatMap(HttpClient.HttpClient, LimitedHttpClient.make({ resources: [Db] }))
  expectTypeOf(Effect.scoped(Effect.provide(make, Layer.orDie(LimiterLive)))).toEqualTypeOf<
    Effect.Effect<
      HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError.BusyError>,
      LimiterConfigError.LimiterConfigError,
      HttpClient.HttpClient
    >
  >()
  const keyed = Effect.flatMap(
    HttpClient.HttpClient,
    LimitedHttpClient.makeKeyed({ "a.test": { resources: [Db] }, "b.test": { resources: [Cache] } })
  )
  // Cache (host b.test) is not provided by LimiterLive: it stays in R.
  expectTypeOf(Effect.scoped(Effect.provide(keyed, Layer.orDie(LimiterLive)))).toEqualTypeOf<
    Effect.Effect<
      HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError.BusyError>,
      LimiterConfigError.LimiterConfigError,
      HttpClient.HttpClient | Id<"Cache">
    >
  >()
  // The layer provides a plain HttpClient.
  expectTypeOf(LimitedHttpClient.layer({ resources: [Db] }).pipe(Layer.provide(Layer.orDie(LimiterLive)))).toEqualTypeOf<
    Layer.Layer<HttpClient.HttpClient, LimiterConfigError.LimiterConfigError, HttpClient.HttpClient>
  >()
  // Cache is not provided by LimiterLive: it stays in the layer's requirements.
  expectTypeOf(LimitedHttpClient.layer({ resources: [Cache] }).pipe(Layer.provide(Layer.orDie(LimiterLive)))).toEqualTypeOf<
    Layer.Layer<HttpClient.HttpClient, LimiterConfigError.LimiterConfigError, HttpClient.HttpClient | Id<"Cache">>
  >()
}

// A limited client lists a resource once.
export const clientListsOnce = () => {
  // @ts-expect-error Db is listed twice
  LimitedHttpClient.make({ resources: [Db, Db] })
  LimitedHttpClient.make({ resources: [Db, Fs] })
}

// Partitions: a guard names one that its partitioned resources all have.
export const partitions = () => {
  const Search = Resource.make("Search", { capacity: 5, partitions: { interactive: 0.8, batch: 0.2 } })
  const Index = Resource.make("Index", { capacity: 2, partitions: { batch: 0.5, admin: 0.5 } })
  // A partition of the resource; beside a plain resource; the partition both partitioned resources have.
  expectTypeOf(Effect.succeed(1).pipe(Limiter.withResources([Search], { partition: "batch" }))).toEqualTypeOf<
    Effect.Effect<number, BusyError.BusyError, Limiter.Limiter | Id<"Search">>
  >()
  Limiter.withResources([Search, Db], { partition: "interactive" })
  Limiter.withResources([Search, Index], { partition: "batch" })

  // @ts-expect-error "bulk" is not a partition of Search
  Limiter.withResources([Search], { partition: "bulk" })
  // @ts-expect-error Search is partitioned: the guard must name a partition
  Limiter.withResources([Search])
  // @ts-expect-error a timeout alone is not enough either
  Limiter.withResources([Search], { timeout: "1 second" })
  // @ts-expect-error "interactive" is not a partition of Index
  Limiter.withResources([Search, Index], { partition: "interactive" })
  // @ts-expect-error Db has no partitions
  Limiter.withResources([Db], { partition: "batch" })
  // @ts-expect-error shares are numbers
  Resource.make("Bad", { capacity: 1, partitions: { a: "half" } })
}

// setCapacity needs the resource in R.
{
  expectTypeOf(Limiter.setCapacity(Db, 8)).toEqualTypeOf<
    Effect.Effect<void, LimiterConfigError.LimiterConfigError, Limiter.Limiter | Id<"Db">>
  >()
  // Cache is not provided by LimiterLive: it stays in R.
  expectTypeOf(Effect.provide(Limiter.setCapacity(Cache, 2), Layer.orDie(LimiterLive))).toEqualTypeOf<
    Effect.Effect<void, LimiterConfigError.LimiterConfigError, Id<"Cache">>
  >()
}
