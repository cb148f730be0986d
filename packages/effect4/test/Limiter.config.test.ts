/**
 * `Limiter.layer` on Effect 4 refuses bad options before serving anything,
 * with a `LimiterConfigError` naming the field and the value, and reads
 * options given as `Config`.
 */
import { Limiter, LimiterConfigError, Resource } from "@effect-concurrency-limiter/effect4"
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"

const Db = Resource.make("Db", { capacity: 5 })
const Fs = Resource.make("Fs", { capacity: 10 })

const build = <A, E>(layer: Layer.Layer<A, E>) => Layer.build(layer).pipe(Effect.scoped, Effect.flip)

const expectInvalid = <A, E>(layer: Layer.Layer<A, E>, field: string, value: string) =>
  Effect.gen(function*() {
    const error = yield* build(layer)
    assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
    const configError = error as LimiterConfigError.LimiterConfigError
    assert.strictEqual(configError.field, field)
    assert.strictEqual(configError.value, value)
    assert.include(configError.message, field)
    assert.include(configError.message, value)
  })

describe("Limiter.layer rejects bad options before serving anything", () => {
  for (const [capacity, shown] of [[0, "0"], [-1, "-1"], [1.5, "1.5"], [NaN, "NaN"], [Infinity, "Infinity"]] as const) {
    it.effect(`capacity ${shown}`, () =>
      expectInvalid(
        Limiter.layer({ timeout: "1 second", resources: [Db, Resource.make("Bad", { capacity })] }),
        "resources[1].capacity (resource \"Bad\")",
        shown
      ))
  }

  const timeouts = [
    [-1, "-1"],
    [NaN, "NaN"],
    ["-5 seconds", "\"-5 seconds\""],
    ["soon", "\"soon\""],
    [Duration.millis(-5), "-5ms"],
    ["-Infinity", "\"-Infinity\""],
    [{ seconds: -1 }, "{ seconds: -1 }"]
  ] as const
  for (const [timeout, shown] of timeouts) {
    it.effect(`timeout ${shown}`, () =>
      expectInvalid(Limiter.layer({ timeout: timeout as Duration.Input, resources: [Db] }), "timeout", shown))
  }

  it.effect("the inputs only Effect 4 has are read as durations", () =>
    Effect.gen(function*() {
      const timeoutOf = (timeout: Duration.Input) =>
        Effect.map(Limiter.Limiter, (limiter) => limiter.timeout).pipe(
          Effect.provide(Limiter.layer({ timeout, resources: [Db] }))
        )
      assert.strictEqual(Duration.toMillis(yield* timeoutOf({ seconds: 2, milliseconds: 500 })), 2500)
      assert.isFalse(Duration.isFinite(yield* timeoutOf("Infinity")))
      assert.strictEqual(Duration.toMillis(yield* timeoutOf([1, 500_000_000])), 1500)
    }))

  it.effect("an empty resource list", () =>
    expectInvalid(Limiter.layer({ timeout: "1 second", resources: [] as any }), "resources", "[]"))

  it.effect("the same resource twice", () =>
    expectInvalid(Limiter.layer({ timeout: "1 second", resources: [Db, Fs, Db] as any }), "resources[2].name", "\"Db\""))

  it.effect("two resources with the same name", () =>
    expectInvalid(
      Limiter.layer({ timeout: "1 second", resources: [Db, Resource.make("Db", { capacity: 1 })] as any }),
      "resources[1].name",
      "\"Db\""
    ))

  it.effect("an empty name", () =>
    expectInvalid(
      Limiter.layer({ timeout: "1 second", resources: [Resource.make("", { capacity: 1 })] }),
      "resources[0].name",
      "\"\""
    ))

  it.effect("the message names the field and the value", () =>
    Effect.gen(function*() {
      const error = yield* build(Limiter.layer({ timeout: "1 second", resources: [Resource.make("Db", { capacity: 0 })] }))
      assert.strictEqual(
        (error as LimiterConfigError.LimiterConfigError).message,
        "Invalid Limiter option resources[0].capacity (resource \"Db\"): expected a positive safe integer, got 0"
      )
    }))
})

describe("Limiter.layer reads options from Config", () => {
  const FromEnv = Resource.make("Db", { capacity: Config.Int("DB_CONCURRENCY") })
  const layer = Limiter.layer({
    timeout: Config.String("LIMITER_TIMEOUT"),
    resources: [FromEnv],
    enabled: Config.Boolean("LIMITER_ENABLED").pipe(Config.withDefault(true))
  })
  const withEnv = (env: Record<string, string>) =>
    Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

  it.effect("valid values", () =>
    Effect.gen(function*() {
      const limiter = yield* Limiter.Limiter
      assert.strictEqual(Duration.toMillis(limiter.timeout), 1500)
      assert.isFalse(limiter.enabled)
      assert.deepStrictEqual(yield* limiter.stats, [{ resource: "Db", capacity: 7, inUse: 0, waiting: 0, maxWaiting: Infinity }])
    }).pipe(
      Effect.provide(layer),
      withEnv({ DB_CONCURRENCY: "7", LIMITER_TIMEOUT: "1500 millis", LIMITER_ENABLED: "false" })
    ))

  it.effect("a capacity that parses but is out of range", () =>
    expectInvalid(layer, "resources[0].capacity (resource \"Db\")", "0").pipe(
      withEnv({ DB_CONCURRENCY: "0", LIMITER_TIMEOUT: "1 second" })
    ))

  it.effect("a negative timeout", () =>
    expectInvalid(layer, "timeout", "\"-2 seconds\"").pipe(withEnv({ DB_CONCURRENCY: "1", LIMITER_TIMEOUT: "-2 seconds" })))

  it.effect("a capacity that does not parse fails with the ConfigError naming the variable", () =>
    Effect.gen(function*() {
      const exit = yield* Layer.build(layer).pipe(
        Effect.scoped,
        Effect.exit,
        withEnv({ DB_CONCURRENCY: "many", LIMITER_TIMEOUT: "1 second" })
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "DB_CONCURRENCY")
    }))
})
