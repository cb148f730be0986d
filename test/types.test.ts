/**
 * Compile-time guarantees, checked by `tsc --noEmit` (npm run typecheck):
 * every `@ts-expect-error` below must stay an error.
 */
import { HttpClient, type HttpClientError, HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, type Scope } from "effect"
import { type BusyError, LimitedHttpClient, type LimiterConfigError, Limiter, Resource } from "effect-concurrency-limiter"

const Db = Resource.make("Db", { capacity: 5 })
const Fs = Resource.make("Fs", { capacity: 10 })
const Cache = Resource.make("Cache", { capacity: 1 })

const LimiterLive = Limiter.layer({ timeout: "5 seconds", resources: [Db, Fs] })

describe("types", () => {
  it("a guard adds BusyError to E and the limiter and resources to R", () => {
    const guarded = Effect.succeed(1).pipe(Limiter.withResources([Db, Fs]))
    const check: Effect.Effect<number, BusyError.BusyError, Limiter.Limiter | Resource.Resource.Identifier<"Db"> | Resource.Resource.Identifier<"Fs">> = guarded
    const provided: Effect.Effect<number, BusyError.BusyError> = Effect.provide(guarded, Layer.orDie(LimiterLive))
    expect([check, provided]).toHaveLength(2)
  })

  it("a scoped acquisition needs a Scope, the limiter and the resources, and fails with BusyError", () => {
    const acquired = Limiter.acquire([Db, Fs])
    const check: Effect.Effect<
      void,
      BusyError.BusyError,
      Scope.Scope | Limiter.Limiter | Resource.Resource.Identifier<"Db"> | Resource.Resource.Identifier<"Fs">
    > = acquired
    const provided: Effect.Effect<void, BusyError.BusyError> = Effect.scoped(Effect.provide(acquired, Layer.orDie(LimiterLive)))
    // @ts-expect-error without a Scope, Scope is left in the requirements
    const unscoped: Effect.Effect<void, BusyError.BusyError> = Effect.provide(acquired, Layer.orDie(LimiterLive))
    expect([check, provided, unscoped]).toHaveLength(3)
  })

  it("a resource the app's layer does not provide does not compile", () => {
    const guarded = Effect.succeed(1).pipe(Limiter.withResources([Cache]))
    // @ts-expect-error Cache is not provided by LimiterLive
    const provided: Effect.Effect<number, BusyError.BusyError> = Effect.provide(guarded, Layer.orDie(LimiterLive))
    expect(provided).toBeDefined()
  })

  it("the same holds for an HttpRouter app", () => {
    const router = HttpRouter.empty.pipe(
      HttpRouter.get("/db", HttpServerResponse.text("rows").pipe(Limiter.withResources([Db]))),
      HttpRouter.get("/cache", HttpServerResponse.text("hit").pipe(Limiter.withResources([Cache])))
    )
    const served = HttpServer.serve(router).pipe(Layer.provide(LimiterLive))
    // @ts-expect-error Cache is left in the requirements: only Db and Fs are provided
    const app: Layer.Layer<never, unknown, HttpServer.HttpServer> = served
    expect(app).toBeDefined()
  })

  it("a resource listed twice, or no resource, does not compile", () => {
    expect(() => {
      // @ts-expect-error Db is listed twice
      Limiter.withResources([Db, Db])
    }).toThrow(/listed twice/)
    expect(() => {
      // @ts-expect-error Db is listed twice, in another place
      Limiter.withResources([Db, Fs, Db])
    }).toThrow(/listed twice/)
    expect(() => {
      // @ts-expect-error at least one resource
      Limiter.withResources([])
    }).toThrow(/non-empty/)
  })

  it("a capacity must be a number or a Config of one", () => {
    // @ts-expect-error capacity is a number
    expect(Resource.make("Db", { capacity: "5" }).name).toBe("Db")
  })

  it("a limited client needs its resources in R, and adds BusyError to the client's errors", () => {
    const make = Effect.flatMap(HttpClient.HttpClient, LimitedHttpClient.make({ resources: [Db] }))
    const provided: Effect.Effect<
      HttpClient.HttpClient.With<HttpClientError.HttpClientError | BusyError.BusyError>,
      LimiterConfigError.LimiterConfigError,
      HttpClient.HttpClient
    > = Effect.scoped(Effect.provide(make, Layer.orDie(LimiterLive)))
    const keyed = Effect.flatMap(HttpClient.HttpClient, LimitedHttpClient.makeKeyed({ "a.test": { resources: [Db] }, "b.test": { resources: [Cache] } }))
    // @ts-expect-error Cache (host b.test) is not provided by LimiterLive
    const missing: Effect.Effect<unknown, unknown, HttpClient.HttpClient> = Effect.scoped(Effect.provide(keyed, Layer.orDie(LimiterLive)))
    // The layer provides a plain HttpClient (a BusyError comes as a RequestError).
    const layered: Layer.Layer<HttpClient.HttpClient, LimiterConfigError.LimiterConfigError, HttpClient.HttpClient> = LimitedHttpClient
      .layer({ resources: [Db] }).pipe(Layer.provide(Layer.orDie(LimiterLive)))
    // @ts-expect-error Cache is not provided by LimiterLive
    const unprovided: Layer.Layer<HttpClient.HttpClient, LimiterConfigError.LimiterConfigError, HttpClient.HttpClient> = LimitedHttpClient
      .layer({ resources: [Cache] }).pipe(Layer.provide(Layer.orDie(LimiterLive)))
    expect([provided, missing, layered, unprovided]).toHaveLength(4)
  })

  it("a limited client lists a resource once", () => {
    // @ts-expect-error Db is listed twice
    const twice = LimitedHttpClient.make({ resources: [Db, Db] })
    expect(twice).toBeDefined()
  })

  describe("partitions", () => {
    const Search = Resource.make("Search", { capacity: 5, partitions: { interactive: 0.8, batch: 0.2 } })
    const Index = Resource.make("Index", { capacity: 2, partitions: { batch: 0.5, admin: 0.5 } })

    it("a guard names one of the resource's partitions", () => {
      const guarded = Effect.succeed(1).pipe(Limiter.withResources([Search], { partition: "batch" }))
      const withPlain = Effect.succeed(1).pipe(Limiter.withResources([Search, Db], { partition: "interactive" }))
      // The partition both partitioned resources have.
      const common = Effect.succeed(1).pipe(Limiter.withResources([Search, Index], { partition: "batch" }))
      expect([guarded, withPlain, common]).toHaveLength(3)
    })

    it("an unknown partition, a missing one, or one no resource has does not compile", () => {
      // @ts-expect-error "bulk" is not a partition of Search
      expect(() => Limiter.withResources([Search], { partition: "bulk" })).toThrow(/got "bulk"/)
      // @ts-expect-error Search is partitioned: the guard must name a partition
      expect(() => Limiter.withResources([Search])).toThrow(/got none/)
      // @ts-expect-error a timeout alone is not enough either
      expect(() => Limiter.withResources([Search], { timeout: "1 second" })).toThrow(/got none/)
      // @ts-expect-error "interactive" is not a partition of Index
      expect(() => Limiter.withResources([Search, Index], { partition: "interactive" })).toThrow(/"Index" is partitioned/)
      // @ts-expect-error Db has no partitions
      expect(() => Limiter.withResources([Db], { partition: "batch" })).toThrow(/none of the resources is partitioned/)
    })

    it("a share is a number", () => {
      // @ts-expect-error shares are numbers
      expect(Resource.make("Bad", { capacity: 1, partitions: { a: "half" } }).name).toBe("Bad")
    })
  })

  it("setCapacity needs the resource in R", () => {
    const set: Effect.Effect<void, LimiterConfigError.LimiterConfigError, Limiter.Limiter | Resource.Resource.Identifier<"Db">> =
      Limiter.setCapacity(Db, 8)
    // @ts-expect-error Cache is not provided by LimiterLive
    const unprovided: Effect.Effect<void, unknown> = Effect.provide(Limiter.setCapacity(Cache, 2), Layer.orDie(LimiterLive))
    expect([set, unprovided]).toHaveLength(2)
  })
})
