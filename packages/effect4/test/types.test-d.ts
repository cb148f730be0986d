/**
 * Compile-time guarantees of the Effect 4 line. This file is never run:
 * `tsc --noEmit -p packages/effect4` checks it, so a wrong type fails the
 * typecheck. `expectTypeOf(x).toEqualTypeOf<T>()` fails unless x's type is
 * exactly T; every `@ts-expect-error` must stay an error, and each sits next
 * to a positive check of the type that makes it one.
 */
import { type BusyError, Limiter, type LimiterConfigError, Resource, type Semaphore } from "@effect-concurrency-limiter/effect4"
import * as Effect from "effect/Effect"
import type * as EffectSemaphore from "effect/Semaphore"
import * as HttpRouter from "effect/http/HttpRouter"
import type * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
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
  // The layer fails with the option error or the Config error.
  expectTypeOf<Layer.Error<typeof LimiterLive>>().toEqualTypeOf<
    LimiterConfigError.LimiterConfigError | import("effect/Config").ConfigError
  >()
}

// A scoped acquisition needs a Scope, the limiter and the resources, and fails with BusyError.
{
  const acquired = Limiter.acquire([Db, Fs])
  expectTypeOf(acquired).toEqualTypeOf<
    Effect.Effect<void, BusyError.BusyError, Scope.Scope | Limiter.Limiter | Id<"Db"> | Id<"Fs">>
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

// The same holds for an HttpRouter app: the served layer still requires the resource.
{
  const route = HttpRouter.add(
    "GET",
    "/cache",
    Effect.succeed(HttpServerResponse.text("hit")).pipe(Limiter.withResources([Cache]))
  )
  const served = HttpRouter.serve(route).pipe(Layer.provide(Layer.orDie(LimiterLive)))
  expectTypeOf(served).toEqualTypeOf<Layer.Layer<never, never, HttpServer.HttpServer | Id<"Cache">>>()
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

// A capacity is a number, a Config of one, or a Limit.
export const capacityIsANumber = () => {
  // @ts-expect-error capacity is a number
  Resource.make("Db", { capacity: "5" })
  Resource.make("Db", { capacity: 5 })
}

// Partitions: a guard names one that its partitioned resources all have.
export const partitions = () => {
  const Search = Resource.make("Search", { capacity: 5, partitions: { interactive: 0.8, batch: 0.2 } })
  const Index = Resource.make("Index", { capacity: 2, partitions: { batch: 0.5, admin: 0.5 } })
  expectTypeOf(Effect.succeed(1).pipe(Limiter.withResources([Search], { partition: "batch" }))).toEqualTypeOf<
    Effect.Effect<number, BusyError.BusyError, Limiter.Limiter | Id<"Search">>
  >()
  Limiter.withResources([Search, Db], { partition: "interactive" })
  Limiter.withResources([Search, Index], { partition: "batch" })

  // @ts-expect-error "bulk" is not a partition of Search
  Limiter.withResources([Search], { partition: "bulk" })
  // @ts-expect-error Search is partitioned: the guard must name a partition
  Limiter.withResources([Search])
  // @ts-expect-error "interactive" is not a partition of Index
  Limiter.withResources([Search, Index], { partition: "interactive" })
  // @ts-expect-error Db has no partitions
  Limiter.withResources([Db], { partition: "batch" })
}

// setCapacity needs the resource in R; the resource's service is our Semaphore, an Effect Semaphore.
{
  expectTypeOf(Limiter.setCapacity(Db, 8)).toEqualTypeOf<
    Effect.Effect<void, LimiterConfigError.LimiterConfigError, Limiter.Limiter | Id<"Db">>
  >()
  expectTypeOf(Db.pipe(Effect.map((semaphore) => semaphore))).toEqualTypeOf<Effect.Effect<Semaphore.Semaphore, never, Id<"Db">>>()
  expectTypeOf<Semaphore.Semaphore>().toExtend<EffectSemaphore.Semaphore>()
}
