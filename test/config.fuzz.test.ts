/**
 * Bad input at the edges (issue 13): every option and every `Config` value
 * the library reads, fed random strings, numbers, NaN, huge values, negative
 * durations and unicode. Each input is either accepted, and then in force
 * (the stats and the service show it), or refused with a `LimiterConfigError`
 * naming the option and the value (a `ConfigError` naming the variable, for
 * Effect's own parsing). Never a defect, a hang, or a silent default. The
 * accepted/refused decision is checked against the README's rules, written
 * again in `utils/configFuzz.ts`, so that validation can be neither too lax
 * nor too strict.
 *
 * `npm test` runs a few hundred inputs per property; `npm run fuzz:config`
 * runs 20,000 (`FUZZ_RUNS`), from the seed it prints (`FUZZ_SEED` replays one).
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { afterAll, assert, describe, expect, it } from "@effect/vitest"
import {
  Cause,
  Config,
  ConfigError,
  ConfigProvider,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  ManagedRuntime,
  Option,
  type Scope,
  TestClock,
  TestContext
} from "effect"
import * as fc from "effect/FastCheck"
import {
  Limit,
  LimitedHttpClient,
  Limiter,
  LimiterConfigError,
  RedisLimiter,
  Resource,
  Semaphore
} from "effect-concurrency-limiter"
import * as AppConfig from "../examples/AppConfig.js"
import { renderValue } from "../src/internal/options.js"
import * as F from "./utils/configFuzz.js"
import { redisUp, skippedWithoutRedis } from "./utils/redisTests.js"

const started = Date.now()
console.log(
  `config fuzz: seed ${F.seed}, ${process.env.FUZZ_RUNS === undefined ? "the short run" : `${process.env.FUZZ_RUNS} runs per property`} ` +
    `(FUZZ_SEED=${F.seed} replays these inputs; FUZZ_RUNS=n for more)`
)
afterAll(() => {
  console.log(`config fuzz: checked ${F.checked.inputs} inputs in ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

// --- running one input ------------------------------------------------------------

type Outcome<A> =
  | { readonly _tag: "accepted"; readonly value: A }
  | { readonly _tag: "refused"; readonly error: unknown }

/**
 * Every input runs on one TestClock (its `adjust` checks timeouts in force),
 * built once: a TestContext per input would cost more than the input.
 */
const runtime = ManagedRuntime.make(TestContext.TestContext)
afterAll(() => runtime.dispose())

/**
 * Runs one build, bounded on the wall clock: a build takes microseconds and
 * a hang never ends, so the bound only has to stay clear of the longest
 * stall a loaded machine gives a process (a second or two), and below the
 * test's timeout so that the failure names the input: 10 s.
 * A defect (a throw escaping) fails the property.
 */
const hangMillis = 10_000
const outcome = async <A, E, R>(effect: Effect.Effect<A, E, R>): Promise<Outcome<A>> => {
  F.checked.inputs++
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), hangMillis)
  })
  const exit = await Promise.race([runtime.runPromiseExit(Effect.scoped(effect as Effect.Effect<A, E, Scope.Scope>)), hang])
  clearTimeout(timer)
  if (exit === "hang") throw new Error(`a hang: the build did not end within ${hangMillis / 1000} seconds`)
  if (Exit.isSuccess(exit)) return { _tag: "accepted", value: exit.value }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`a defect, not a typed error:\n${Cause.pretty(exit.cause)}`)
  return { _tag: "refused", error: failure.value }
}

const isConfigError = (u: unknown): boolean => ConfigError.isConfigError(u)

/** A refusal names one of the invalid options, and renders the value it got. */
const assertNamesOneOf = (error: unknown, invalid: ReadonlyMap<string, unknown>, input: unknown) => {
  if (!(error instanceof LimiterConfigError.LimiterConfigError)) {
    throw new Error(`expected a LimiterConfigError, got ${String(error)} for ${renderValue(input)}`)
  }
  const named = [...invalid.keys()].find((field) => error.field === field || error.field.startsWith(`${field}.`))
  if (named === undefined) {
    throw new Error(`refused ${error.field} (${error.message}), but the invalid options are ${[...invalid.keys()].join(", ")}`)
  }
  // Within an option (a partition's share, a retry status) the value is the part at fault.
  if (error.field === named) expect(error.value).toBe(renderValue(invalid.get(named)))
  expect(error.message).toContain(error.field)
  expect(error.message).toContain(error.value)
}

const refusedOrAccepted = <A>(
  result: Outcome<A>,
  invalid: ReadonlyMap<string, unknown>,
  input: unknown,
  inForce: (value: A) => void
) => {
  if (invalid.size === 0) {
    if (result._tag === "refused") {
      throw new Error(`refused a valid input ${renderValue(input)}: ${String((result.error as any)?.message ?? result.error)}`)
    }
    inForce(result.value)
  } else {
    if (result._tag === "accepted") {
      throw new Error(`accepted ${renderValue(input)}, though ${[...invalid.keys()].join(", ")} are invalid`)
    }
    assertNamesOneOf(result.error, invalid, input)
  }
}

/** Every number in the stats is a number (no NaN, no undefined). */
const assertFigures = (stats: ReadonlyArray<Limiter.ResourceStats>) => {
  for (const s of stats) {
    for (const n of [s.capacity, s.inUse, s.waiting, s.maxWaiting]) assert.isTrue(F.isFigure(n), `stats ${JSON.stringify(s)}`)
    for (const p of s.partitions ?? []) {
      for (const n of [p.guaranteed, p.inUse, p.waiting]) assert.isTrue(Number.isSafeInteger(n) && n >= 0, JSON.stringify(p))
    }
  }
}

/**
 * The timeout is in force: with every permit taken, a guard is refused
 * after exactly `millis` on a TestClock (not before), or never for an
 * infinite one. Long finite timeouts are checked up to 1e12 ms.
 */
const assertTimesOutAfter = (
  resource: Resource.Resource.Any,
  capacity: number,
  millis: number,
  guardTimeout?: unknown
) =>
  Effect.gen(function*() {
    const semaphore = yield* resource
    yield* semaphore.take(capacity)
    const options = guardTimeout === undefined ? undefined : { timeout: guardTimeout }
    const guard = yield* Effect.fork(Effect.either((Limiter.withResources as any)([resource], options)(Effect.void)))
    yield* Effect.yieldNow()
    const horizon = Math.min(millis, 1e12)
    // Short of the deadline by a hundredth and a milli (the clock's resolution): still waiting.
    const early = horizon * 0.99 - 1
    if (early > 0) {
      yield* TestClock.adjust(Duration.millis(early))
      assert.isTrue(Option.isNone(yield* Fiber.poll(guard)), `refused before its timeout of ${millis} ms`)
    }
    yield* TestClock.adjust(Duration.millis(horizon - Math.max(0, early) + horizon * 0.01 + 1))
    const done = yield* Fiber.poll(guard)
    if (millis <= 1e12) {
      assert.isTrue(Option.isSome(done), `still waiting after its timeout of ${millis} ms`)
      const result = Option.getOrThrow(done)
      assert.isTrue(Exit.isSuccess(result) && result.value._tag === "Left", "a timeout ends in BusyError")
    } else {
      assert.isTrue(Option.isNone(done), `refused before its timeout of ${millis} ms`)
    }
    yield* Fiber.interrupt(guard)
    yield* semaphore.release(capacity)
  })

// --- inputs that are valid --------------------------------------------------------

const validTimeouts: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true }),
  fc.constantFrom("2 seconds", "0 millis", "1.5 seconds", "1 minute", Duration.infinity, Duration.seconds(3), 5_000_000n, [1, 500])
)

const partitionShares: fc.Arbitrary<Record<string, number>> = fc.uniqueArray(
  fc.constantFrom("interactive", "batch", "a", "b", "ünï", "x y", "constructor"),
  { minLength: 1, maxLength: 3 }
).chain((names) =>
  fc.array(fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }), { minLength: names.length, maxLength: names.length })
    .map((shares) => {
      const total = shares.reduce((a, b) => a + b, 0)
      return Object.fromEntries(names.map((name, i) => [name, total > 1 ? shares[i] / total : shares[i]]))
    })
)

const names: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom("Db", "Ünïcödé 数据库", "a b", "{x}", "x".repeat(300)), weight: 3 },
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.constantFrom("", " ", null, undefined, 5, NaN)
)

const optional = <A>(arb: fc.Arbitrary<A>) => fc.option(arb, { nil: undefined, freq: 3 })

// --- Limiter.layer ----------------------------------------------------------------

describe("Limiter.layer: every option, fuzzed", () => {
  it("accepts valid options and puts them in force; refuses the rest, naming the option and the value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: names,
          capacity: F.validOr(fc.integer({ min: 1, max: 1000 }), 2),
          maxWaiting: optional(F.validOr(fc.oneof(fc.nat(100), fc.constant(Infinity)))),
          order: optional(F.validOr(fc.constantFrom("fifo", "lifo"))),
          partitions: optional(F.validOr(partitionShares)),
          timeout: F.validOr(validTimeouts, 2),
          enabled: optional(F.validOr(fc.boolean())),
          metrics: optional(F.validOr(fc.boolean()))
        }),
        async (o) => {
          const R = Resource.make(o.name as string, {
            capacity: o.capacity as number,
            maxWaiting: o.maxWaiting as number | undefined,
            order: o.order as any,
            partitions: o.partitions as any
          })
          const field = (option: string) => `resources[0].${option} (resource "${o.name}")`
          const invalid = new Map<string, unknown>()
          if (typeof o.name !== "string" || o.name === "") invalid.set("resources[0].name", o.name)
          if (!F.isCapacity(o.capacity)) invalid.set(field("capacity"), o.capacity)
          if (o.maxWaiting !== undefined && !F.isMaxWaiting(o.maxWaiting)) invalid.set(field("maxWaiting"), o.maxWaiting)
          if (o.order !== undefined && !F.isOrder(o.order)) invalid.set(field("order"), o.order)
          if (o.partitions !== undefined && !F.isPartitions(o.partitions)) invalid.set(field("partitions"), o.partitions)
          if (F.timeoutMillis(o.timeout) === undefined) invalid.set("timeout", o.timeout)
          if (o.enabled !== undefined && typeof o.enabled !== "boolean") invalid.set("enabled", o.enabled)
          if (o.metrics !== undefined && typeof o.metrics !== "boolean") invalid.set("metrics", o.metrics)
          // A partition's share is named `…partitions (resource "Db").batch`: the prefix is the option.
          const partitionsField = field("partitions")
          if (invalid.has(partitionsField) && typeof o.partitions === "object" && o.partitions !== null) {
            for (const name of Object.keys(o.partitions as object)) invalid.set(`${partitionsField}.${name}`, (o.partitions as any)[name])
            invalid.set(`${partitionsField}[""]`, (o.partitions as any)[""])
          }

          const layer = Limiter.layer({
            timeout: o.timeout as Duration.DurationInput,
            resources: [R],
            ...(o.enabled === undefined ? {} : { enabled: o.enabled as boolean }),
            ...(o.metrics === undefined ? {} : { metrics: o.metrics as boolean })
          })
          const partitionNames = F.isPartitions(o.partitions) ? Object.keys(o.partitions as object) : []
          const program = Effect.gen(function*() {
            const limiter = yield* Limiter.Limiter
            const stats = yield* limiter.stats
            // A guard goes through: nothing is held, whatever the queue bound.
            const guarded = yield* (Limiter.withResources as any)(
              [R],
              partitionNames.length > 0 ? { partition: partitionNames[0] } : undefined
            )(Effect.succeed(42))
            // The timeout is in force (with a queue to wait in, and one queue).
            const millis = F.timeoutMillis(o.timeout)!
            if (limiter.enabled && o.maxWaiting !== 0 && partitionNames.length === 0) {
              yield* assertTimesOutAfter(R, o.capacity as number, millis)
            }
            return { stats, guarded, timeout: limiter.timeout, enabled: limiter.enabled }
          }).pipe(Effect.provide(layer))

          refusedOrAccepted(await outcome(program), invalid, o, ({ enabled, guarded, stats, timeout }) => {
            assertFigures(stats)
            expect(guarded).toBe(42)
            expect(stats[0].resource).toBe(o.name)
            expect(stats[0].capacity).toBe(o.capacity)
            expect(stats[0].maxWaiting).toBe(o.maxWaiting ?? Infinity)
            expect(enabled).toBe(o.enabled ?? true)
            assert.isTrue(F.sameMillis(Duration.toMillis(timeout), F.timeoutMillis(o.timeout)!), `timeout ${renderValue(o.timeout)}`)
            if (partitionNames.length > 0) {
              expect(stats[0].partitions!.map((p) => p.partition)).toEqual(partitionNames)
              const guaranteed = stats[0].partitions!.reduce((sum, p) => sum + p.guaranteed, 0)
              assert.isTrue(guaranteed <= (o.capacity as number), "the guarantees fit in the capacity")
            } else {
              expect(stats[0].partitions).toBeUndefined()
            }
          })
        }
      ),
      F.params(80)
    )
  }, F.timeoutFor(80))

  it("a list that is not a list of resources is refused, naming the entry", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(F.fuzzValue, fc.array(F.fuzzValue, { maxLength: 3 })), async (resources) => {
        const invalid = new Map<string, unknown>()
        if (!Array.isArray(resources) || resources.length === 0) invalid.set("resources", resources)
        else invalid.set("resources[0]", resources[0])
        const result = await outcome(Layer.build(Limiter.layer({ timeout: 0, resources: resources as any })))
        refusedOrAccepted(result, invalid, resources, () => {})
      }),
      F.params(100)
    )
  }, F.timeoutFor(100))
})

// --- Config-typed options ---------------------------------------------------------

const fromEnv = (env: Record<string, string | undefined>) =>
  ConfigProvider.fromMap(new Map(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)))

/** Effect's `Config.integer` and `Config.number` read `Number(text)`; `Config.boolean` these words. */
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, yes: true, on: true, 1: true, false: false, no: false, off: false, 0: false }

/** A `ConfigError` names the variable, and the text it could not parse. */
const assertConfigErrorNames = (error: unknown, env: Record<string, string | undefined>) => {
  assert.isTrue(isConfigError(error), `expected a ConfigError, got ${String(error)}`)
  const text = String(error)
  const named = Object.entries(env).find(([key, raw]) =>
    raw !== undefined && text.includes(key) && (text.includes(raw) || text.includes(JSON.stringify(raw)))
  )
  assert.isDefined(named, `the ConfigError does not name a variable and its value: ${text}`)
}

describe("Limiter.layer: options given as Config, fed raw environment text", () => {
  it("parses, then accepts and applies, or refuses naming the variable or the option", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          DB_CAP: F.rawText,
          capacityAs: fc.constantFrom("integer", "number"),
          DB_MAX_WAITING: optional(F.rawText),
          LIMITER_TIMEOUT: F.rawText,
          LIMITER_ENABLED: optional(F.rawText)
        }),
        async (env) => {
          const R = Resource.make("Db", {
            capacity: env.capacityAs === "integer" ? Config.integer("DB_CAP") : Config.number("DB_CAP"),
            ...(env.DB_MAX_WAITING === undefined ? {} : { maxWaiting: Config.number("DB_MAX_WAITING") })
          })
          const layer = Limiter.layer({
            timeout: Config.string("LIMITER_TIMEOUT"),
            resources: [R],
            ...(env.LIMITER_ENABLED === undefined ? {} : { enabled: Config.boolean("LIMITER_ENABLED") })
          })
          const raw = { DB_CAP: env.DB_CAP, DB_MAX_WAITING: env.DB_MAX_WAITING, LIMITER_TIMEOUT: env.LIMITER_TIMEOUT, LIMITER_ENABLED: env.LIMITER_ENABLED }
          const program = Effect.gen(function*() {
            const limiter = yield* Limiter.Limiter
            return { stats: yield* limiter.stats, timeout: limiter.timeout, enabled: limiter.enabled }
          }).pipe(Effect.provide(layer), Effect.withConfigProvider(fromEnv(raw)))
          const result = await outcome(program)
          if (result._tag === "refused" && isConfigError(result.error)) return assertConfigErrorNames(result.error, raw)
          // Past Effect's parsing, the values the limiter got:
          const capacity = Number(env.DB_CAP)
          const maxWaiting = env.DB_MAX_WAITING === undefined ? Infinity : Number(env.DB_MAX_WAITING)
          const invalid = new Map<string, unknown>()
          if (!F.isCapacity(capacity)) invalid.set("resources[0].capacity (resource \"Db\")", capacity)
          if (!F.isMaxWaiting(maxWaiting)) invalid.set("resources[0].maxWaiting (resource \"Db\")", maxWaiting)
          if (F.timeoutMillis(env.LIMITER_TIMEOUT) === undefined) invalid.set("timeout", env.LIMITER_TIMEOUT)
          refusedOrAccepted(result, invalid, raw, ({ enabled, stats, timeout }) => {
            assertFigures(stats)
            expect(stats[0].capacity).toBe(capacity)
            expect(stats[0].maxWaiting).toBe(maxWaiting)
            assert.isTrue(F.sameMillis(Duration.toMillis(timeout), F.timeoutMillis(env.LIMITER_TIMEOUT)!))
            expect(enabled).toBe(env.LIMITER_ENABLED === undefined ? true : BOOLEAN_WORDS[env.LIMITER_ENABLED])
          })
        }
      ),
      F.params(100)
    )
  }, F.timeoutFor(100))

  it("reload and setCapacity: a bad value is refused and changes nothing; a good one is in force", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        F.rawText,
        F.validOr(fc.integer({ min: 1, max: 1000 })),
        async (initial, raw, direct) => {
          const R = Resource.make("Db", { capacity: Config.integer("DB_CAP"), maxWaiting: Config.number("DB_MAX_WAITING") })
          const Fixed = Resource.make("Fixed", { capacity: 3 })
          const layer = Limiter.layer({ timeout: "1 second", resources: [R, Fixed] }).pipe(
            Layer.provide(Layer.setConfigProvider(fromEnv({ DB_CAP: String(initial), DB_MAX_WAITING: "7" })))
          )
          const program = Effect.gen(function*() {
            const reloaded = yield* Limiter.reload.pipe(
              Effect.withConfigProvider(fromEnv({ DB_CAP: raw, DB_MAX_WAITING: raw })),
              Effect.either
            )
            const afterReload = yield* Limiter.Limiter.pipe(Effect.flatMap((l) => l.stats))
            const set = yield* Effect.either(Limiter.setCapacity(Fixed, direct as number))
            const afterSet = yield* Limiter.Limiter.pipe(Effect.flatMap((l) => l.stats))
            return { reloaded, afterReload, set, afterSet }
          }).pipe(Effect.provide(layer))
          const result = await outcome(program)
          assert.strictEqual(result._tag, "accepted")
          if (result._tag !== "accepted") return
          const { afterReload, afterSet, reloaded, set } = result.value
          assertFigures(afterReload)
          assertFigures(afterSet)
          const parsed = Number(raw)
          // reload: all or nothing.
          if (reloaded._tag === "Left") {
            if (!isConfigError(reloaded.left)) {
              const invalid = new Map<string, unknown>()
              if (!F.isCapacity(parsed)) invalid.set("resources[0].capacity (resource \"Db\")", parsed)
              if (!F.isMaxWaiting(parsed)) invalid.set("resources[0].maxWaiting (resource \"Db\")", parsed)
              assert.isTrue(invalid.size > 0, `reload refused ${JSON.stringify(raw)}, a valid capacity and queue bound`)
              assertNamesOneOf(reloaded.left, invalid, raw)
            } else {
              assertConfigErrorNames(reloaded.left, { DB_CAP: raw, DB_MAX_WAITING: raw })
            }
            expect(afterReload[0].capacity).toBe(initial)
            expect(afterReload[0].maxWaiting).toBe(7)
          } else {
            assert.isTrue(F.isCapacity(parsed) && F.isMaxWaiting(parsed), `reload accepted ${JSON.stringify(raw)}`)
            expect(afterReload[0].capacity).toBe(parsed)
            expect(afterReload[0].maxWaiting).toBe(parsed)
          }
          // setCapacity: refused with the option's name, or in force.
          if (F.isCapacity(direct)) {
            assert.strictEqual(set._tag, "Right")
            expect(afterSet[1].capacity).toBe(direct)
          } else {
            assert.strictEqual(set._tag, "Left")
            if (set._tag === "Left") assertNamesOneOf(set.left, new Map([["resources[1].capacity (resource \"Fixed\")", direct]]), direct)
            expect(afterSet[1].capacity).toBe(3)
          }
        }
      ),
      F.params(60)
    )
  }, F.timeoutFor(60))
})

// --- Limiter.withResources --------------------------------------------------------

describe("Limiter.withResources: its timeout and partition, fuzzed", () => {
  const Db = Resource.make("Db", { capacity: 2 })
  const Split = Resource.make("Split", { capacity: 4, partitions: { interactive: 0.5, batch: 0.5 } })

  it("a bad timeout throws when the guard is defined (documented), naming it; a good one is in force", async () => {
    await fc.assert(
      fc.asyncProperty(F.validOr(validTimeouts), async (timeout) => {
        F.checked.inputs++
        const expected = timeout === undefined ? 1000 : F.timeoutMillis(timeout)
        let thrown: unknown
        try {
          ;(Limiter.withResources as any)([Db], { timeout })
        } catch (error) {
          thrown = error
        }
        if (expected === undefined) {
          assert.instanceOf(thrown, TypeError, `accepted the guard timeout ${renderValue(timeout)}`)
          expect((thrown as Error).message).toContain("timeout")
          expect((thrown as Error).message).toContain(renderValue(timeout))
          return
        }
        assert.isUndefined(thrown, `refused the guard timeout ${renderValue(timeout)}: ${String(thrown)}`)
        const result = await outcome(
          assertTimesOutAfter(Db, 2, expected, timeout).pipe(
            Effect.provide(Limiter.layer({ timeout: "1 second", resources: [Db] }))
          )
        )
        assert.strictEqual(result._tag, "accepted")
      }),
      F.params(60)
    )
  }, F.timeoutFor(60))

  it("a partition must be one of the resource's (documented throw otherwise)", async () => {
    await fc.assert(
      fc.asyncProperty(F.validOr(fc.constantFrom("interactive", "batch")), async (partition) => {
        await F.breathe()
        F.checked.inputs++
        const valid = partition === "interactive" || partition === "batch"
        const define = () => (Limiter.withResources as any)([Split], { partition })
        if (valid) define()
        else expect(define).toThrow(TypeError)
        // On a resource without partitions, any partition at all is refused.
        if (partition !== undefined) expect(() => (Limiter.withResources as any)([Db], { partition })).toThrow(TypeError)
      }),
      F.params(200)
    )
  }, F.timeoutFor(200))
})

// --- Limit ------------------------------------------------------------------------

type Rule = (v: unknown) => boolean
const positiveSafe: Rule = (v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 1
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)
const tuning: Rule = (v) => typeof v === "function" || (finite(v) && v >= 0)

/** Each algorithm's options (given `initial: 5`), and what the JSDoc says each accepts. */
const limitOptions: ReadonlyArray<readonly [string, string, Rule, (options: any) => Limit.Limit<any>]> = [
  ["aimd", "initial", positiveSafe, Limit.aimd],
  ["aimd", "min", (v) => positiveSafe(v) && (v as number) <= 5, Limit.aimd],
  ["aimd", "max", (v) => positiveSafe(v) && (v as number) >= 5, Limit.aimd],
  ["aimd", "backoffRatio", (v) => finite(v) && v > 0 && v < 1, Limit.aimd],
  ["aimd", "timeoutMillis", (v) => typeof v === "number" && v > 0, Limit.aimd],
  ["vegas", "min", (v) => positiveSafe(v) && (v as number) <= 5, Limit.vegas],
  ["vegas", "max", (v) => positiveSafe(v) && (v as number) >= 5, Limit.vegas],
  ["vegas", "smoothing", (v) => finite(v) && v > 0 && v <= 1, Limit.vegas],
  ["vegas", "probeMultiplier", (v) => finite(v) && v > 0, Limit.vegas],
  ["vegas", "alpha", tuning, Limit.vegas],
  ["vegas", "beta", tuning, Limit.vegas],
  ["vegas", "threshold", tuning, Limit.vegas],
  ["vegas", "increase", tuning, Limit.vegas],
  ["vegas", "decrease", tuning, Limit.vegas],
  ["gradient2", "min", (v) => positiveSafe(v) && (v as number) <= 5, Limit.gradient2],
  ["gradient2", "max", (v) => positiveSafe(v) && (v as number) >= 5, Limit.gradient2],
  ["gradient2", "smoothing", (v) => finite(v) && v > 0 && v <= 1, Limit.gradient2],
  ["gradient2", "rttTolerance", (v) => finite(v) && v >= 1, Limit.gradient2],
  ["gradient2", "longWindow", positiveSafe, Limit.gradient2],
  ["gradient2", "queueSize", tuning, Limit.gradient2],
  ["windowed", "minWindowMillis", (v) => finite(v) && v > 0, (o) => Limit.windowed(Limit.aimd({ initial: 5 }), o)],
  ["windowed", "maxWindowMillis", (v) => finite(v) && v >= 1000, (o) => Limit.windowed(Limit.aimd({ initial: 5 }), o)],
  ["windowed", "windowSize", positiveSafe, (o) => Limit.windowed(Limit.aimd({ initial: 5 }), o)],
  ["windowed", "minRttThresholdMillis", (v) => finite(v) && v >= 0, (o) => Limit.windowed(Limit.aimd({ initial: 5 }), o)]
]

const samples = fc.array(
  fc.record({
    rttMillis: fc.oneof(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.constantFrom(0, 1e-9, 1e9)),
    inflight: fc.integer({ min: 0, max: 300 }),
    outcome: fc.constantFrom("success", "failure", "dropped") as fc.Arbitrary<"success" | "failure" | "dropped">
  }),
  { maxLength: 40 }
)

describe("Limit: every algorithm's options, fuzzed", () => {
  it("a bad option throws LimiterConfigError at once (documented), naming it; a good one never yields a NaN limit", async () => {
    await fc.assert(
      // By name, so that a counterexample reads "aimd.backoffRatio", not the code of a function.
      fc.asyncProperty(fc.constantFrom(...limitOptions.map(([a, o]) => `${a}.${o}`)), F.fuzzValue, samples, async (which, value, feed) => {
        await F.breathe()
        const [algorithm, option, valid, make] = limitOptions.find(([a, o]) => `${a}.${o}` === which)!
        F.checked.inputs++
        const given = option === "initial" ? { initial: value } : { initial: 5, [option]: value }
        const options = algorithm === "windowed" ? { [option]: value } : given
        // `undefined` is an absent option: its default.
        const ok = value === undefined ? option !== "initial" : valid(value)
        let limit: Limit.Limit<any> | undefined
        try {
          limit = make(options)
        } catch (error) {
          assert.isFalse(ok, `Limit.${algorithm}({ ${option}: ${renderValue(value)} }) threw ${String(error)}`)
          assert.instanceOf(error, LimiterConfigError.LimiterConfigError, String(error))
          const e = error as LimiterConfigError.LimiterConfigError
          // min and max are checked against initial: either may be named, with the value in the message.
          const fields = option === "min" || option === "max" ? [option, "initial", "max"] : [option]
          assert.include(fields.map((f) => `Limit.${algorithm}.${f}`), e.field)
          expect(e.message).toContain(renderValue(value))
          return
        }
        assert.isTrue(ok, `Limit.${algorithm}({ ${option}: ${renderValue(value)} }) was accepted`)
        // Bounds given are the bounds in force; the limit starts at initial.
        if ((option === "min" || option === "max") && value !== undefined) expect(limit[option]).toBe(value)
        expect(limit.limitOf(limit.initial)).toBe(option === "initial" ? value : 5)
        // Fed any samples, the limit stays a whole number in [min, max].
        let state = limit.initial
        let now = 0
        for (const sample of feed) {
          now += sample.rttMillis
          state = limit.update(state, { ...sample, endMillis: now })
          const current = limit.limitOf(state)
          assert.isTrue(Number.isSafeInteger(current) && current >= limit.min && current <= limit.max, `limit ${current}`)
        }
      }),
      F.params(500)
    )
  }, F.timeoutFor(500))

  it("Limit.fixed(n): a positive safe integer, or a LimiterConfigError naming Limit.fixed.limit", async () => {
    await fc.assert(
      fc.asyncProperty(F.fuzzValue, async (n) => {
        await F.breathe()
        F.checked.inputs++
        if (positiveSafe(n)) {
          expect(Limit.fixed(n as number).limitOf(Limit.fixed(n as number).initial)).toBe(n)
        } else {
          expect(() => Limit.fixed(n as number)).toThrow(LimiterConfigError.LimiterConfigError)
        }
      }),
      F.params(300)
    )
  }, F.timeoutFor(300))
})

// --- Semaphore --------------------------------------------------------------------

describe("Semaphore: capacities and permit counts, fuzzed", () => {
  const isCapacity = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0
  const isCount = (n: unknown) => typeof n === "number" && Number.isSafeInteger(n) && n > 0

  /** The documented refusal: a defect, a RangeError showing the value. */
  const assertRangeError = (exit: Exit.Exit<unknown, unknown>, value: unknown) => {
    assert.isTrue(Exit.isFailure(exit), `accepted ${renderValue(value)}`)
    if (Exit.isSuccess(exit)) return
    const defect = Cause.dieOption(exit.cause)
    assert.isTrue(Option.isSome(defect), Cause.pretty(exit.cause))
    assert.instanceOf(Option.getOrThrow(defect), RangeError)
    expect((Option.getOrThrow(defect) as Error).message).toContain(renderValue(value))
  }

  it("make, resize, take: accepted and in force, or a RangeError defect (documented)", async () => {
    await fc.assert(
      fc.asyncProperty(F.validOr(fc.integer({ min: 0, max: 50 })), F.validOr(fc.integer({ min: 0, max: 50 })), F.validOr(fc.integer({ min: 1, max: 60 })), async (made, resized, taken) => {
        await F.breathe()
        F.checked.inputs++
        const make = Effect.runSyncExit(Semaphore.make(made as number))
        if (!isCapacity(made)) return assertRangeError(make, made)
        assert.isTrue(Exit.isSuccess(make))
        const semaphore = Exit.isSuccess(make) ? make.value : undefined!
        expect(semaphore.unsafeStats()).toEqual({ capacity: made, inUse: 0, waiting: 0 })
        const resize = Effect.runSyncExit(semaphore.resize(resized as number))
        if (!isCapacity(resized)) assertRangeError(resize, resized)
        const capacity = isCapacity(resized) ? resized as number : made as number
        expect(semaphore.unsafeStats().capacity).toBe(capacity)
        // take(n): at once when it fits, queued (documented: it waits for room) when not.
        const take = Effect.runSync(Effect.gen(function*() {
          const fiber = yield* Effect.fork(semaphore.take(taken as number))
          yield* Effect.yieldNow()
          const done = yield* Fiber.poll(fiber)
          const stats = semaphore.unsafeStats()
          yield* Fiber.interrupt(fiber)
          return { done, stats }
        }))
        if (!isCount(taken)) {
          assert.isTrue(Option.isSome(take.done))
          return assertRangeError(Option.getOrThrow(take.done), taken)
        }
        if ((taken as number) <= capacity) {
          assert.isTrue(Option.isSome(take.done), `take(${taken}) of ${capacity} waited`)
          expect(take.stats.inUse).toBe(taken)
        } else {
          assert.isTrue(Option.isNone(take.done), `take(${taken}) of ${capacity} did not wait`)
          expect(take.stats.waiting).toBe(1)
        }
      }),
      F.params(150)
    )
  }, F.timeoutFor(150))
})

// --- LimitedHttpClient ------------------------------------------------------------

describe("LimitedHttpClient: options and hosts, fuzzed", () => {
  const Api = Resource.make("Api", { capacity: 2 })
  const Other = Resource.make("Other", { capacity: 1 })
  const Unlisted = Resource.make("Unlisted", { capacity: 1 })
  const LimiterLive = Limiter.layer({ timeout: "1 second", resources: [Api, Other] })
  const fake = HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok"))))

  /** A duration that must be finite (and positive): `undefined` when the oracle cannot tell (under a nano). */
  const durationWithin = (v: unknown, positive: boolean): boolean | undefined => {
    const ms = F.timeoutMillis(v)
    if (ms === undefined || ms === Infinity) return false
    if (!positive) return true
    if (ms === 0) return false
    return ms >= 1e-6 ? true : undefined
  }

  const retryGen = fc.record({
    times: optional(F.validOr(fc.nat(5))),
    statuses: optional(F.validOr(fc.array(fc.integer({ min: 400, max: 599 }), { minLength: 1, maxLength: 3 }))),
    backoff: optional(F.validOr(fc.constantFrom("100 millis", 50, "1 second"))),
    maxDelay: optional(F.validOr(fc.constantFrom("0 millis", 1000, "30 seconds"))),
    nonIdempotent: optional(F.validOr(fc.boolean()))
  }, { requiredKeys: [] })

  const rateGen = fc.record({
    limit: F.validOr(fc.integer({ min: 1, max: 1000 })),
    interval: F.validOr(fc.constantFrom("1 second", 100, "10 millis", Duration.seconds(2))),
    algorithm: optional(F.validOr(fc.constantFrom("token-bucket", "fixed-window")))
  }, { requiredKeys: ["limit", "interval"] })

  it("make: accepted, or refused naming the option and the value", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          resources: fc.oneof(
            { arbitrary: fc.constant([Api] as unknown), weight: 6 },
            // eslint-disable-next-line no-sparse-arrays
            fc.constantFrom([], [null], [Unlisted], [Api, Api], [Api, Other], [undefined, Api], [, Api], [Api, ,]),
            F.fuzzValue
          ),
          timeout: optional(F.validOr(validTimeouts)),
          partition: fc.option(F.fuzzValue, { nil: undefined, freq: 6 }),
          rate: optional(F.validOr(rateGen)),
          retry: optional(F.validOr(retryGen))
        }, { requiredKeys: ["resources"] }),
        async (o) => {
          const invalid = new Map<string, unknown>()
          // Durations under a nano: rounding decides, either outcome is right.
          const unsure = new Map<string, unknown>()
          const resources = o.resources as Array<unknown>
          if (!Array.isArray(resources) || resources.length === 0) invalid.set("resources", resources)
          else {
            for (let i = 0; i < resources.length; i++) {
              const r = resources[i]
              const listed = r === Api || r === Other
              const twice = listed && resources.indexOf(r) < i
              if (!listed || twice) invalid.set(`resources[${i}]`, (r as any)?.name ?? r)
            }
          }
          if (o.timeout !== undefined && F.timeoutMillis(o.timeout) === undefined) invalid.set("timeout", o.timeout)
          if (o.partition !== undefined) invalid.set("partition", o.partition)
          if (o.rate !== undefined) {
            const rate = o.rate as any
            if (typeof rate !== "object" || rate === null) invalid.set("rate", rate)
            else {
              if (rate.algorithm !== undefined && rate.algorithm !== "token-bucket" && rate.algorithm !== "fixed-window") {
                invalid.set("rate.algorithm", rate.algorithm)
              }
              if (!positiveSafe(rate.limit)) invalid.set("rate.limit", rate.limit)
              const interval = durationWithin(rate.interval, true)
              if (interval === false) invalid.set("rate.interval", rate.interval)
              if (interval === undefined) unsure.set("rate.interval", rate.interval)
            }
          }
          if (o.retry !== undefined) {
            const retry = o.retry as any
            if (typeof retry !== "object" || retry === null) invalid.set("retry", retry)
            else {
              if (retry.times !== undefined && !(Number.isSafeInteger(retry.times) && retry.times >= 0)) invalid.set("retry.times", retry.times)
              if (retry.statuses !== undefined) {
                if (!Array.isArray(retry.statuses) || retry.statuses.length === 0) invalid.set("retry.statuses", retry.statuses)
                else {
                  for (let i = 0; i < retry.statuses.length; i++) {
                    const s = retry.statuses[i]
                    if (!(Number.isInteger(s) && s >= 400 && s <= 599)) invalid.set(`retry.statuses[${i}]`, s)
                  }
                }
              }
              if (retry.nonIdempotent !== undefined && typeof retry.nonIdempotent !== "boolean") {
                invalid.set("retry.nonIdempotent", retry.nonIdempotent)
              }
              const backoff = retry.backoff === undefined ? true : durationWithin(retry.backoff, true)
              if (backoff === false) invalid.set("retry.backoff", retry.backoff)
              if (backoff === undefined) unsure.set("retry.backoff", retry.backoff)
              if (retry.maxDelay !== undefined && !durationWithin(retry.maxDelay, false)) invalid.set("retry.maxDelay", retry.maxDelay)
            }
          }
          const program = Effect.map(LimitedHttpClient.make(fake, o as any), () => "built").pipe(Effect.provide(LimiterLive))
          const result = await outcome(program)
          if (unsure.size > 0) {
            if (result._tag === "refused") return assertNamesOneOf(result.error, new Map([...invalid, ...unsure]), o)
            if (invalid.size === 0) return
          }
          refusedOrAccepted(result, invalid, o, (built) => expect(built).toBe("built"))
        }
      ),
      F.params(100)
    )
  }, F.timeoutFor(100))

  const dnsName = fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
    .map((labels) => labels.join("."))
    .filter((name) => !/^[\d.]+$/.test(name))
  const hostKeys: fc.Arbitrary<string> = fc.oneof(
    dnsName,
    fc.tuple(dnsName, fc.integer({ min: 1, max: 65535 })).map(([name, port]) => `${name}:${port}`),
    fc.constantFrom(
      "API.example.com", "https://api.example.com", "api.example.com/v1", "api.example.com:80", "127.0.0.1:8080", "[::1]:8080",
      "", " ", "user@api.example.com", "api.example.com?x", "bücher.example", "xn--bcher-kva.example", "127.1", "a..b", "api.example.com:"
    ),
    fc.string(),
    fc.string({ unit: "binary", maxLength: 10 })
  )

  it("makeKeyed: a host as URL.host spells it is accepted; anything else is refused naming it", async () => {
    await fc.assert(
      fc.asyncProperty(hostKeys, async (host) => {
        // Labels of letters, digits and hyphens, the last one starting with a letter (else it reads as IPv4).
        const plainName = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z]([a-z0-9-]*[a-z0-9])?(:[1-9]\d{0,4})?$/.test(host) &&
          !host.endsWith(":80") && Number(host.split(":")[1] ?? 1) <= 65535
        const program = Effect.map(LimitedHttpClient.makeKeyed(fake, { [host]: { resources: [Api] } }), () => "built").pipe(
          Effect.provide(LimiterLive)
        )
        const result = await outcome(program)
        if (plainName) {
          assert.strictEqual(result._tag, "accepted", `refused the host ${JSON.stringify(host)}`)
        }
        if (result._tag === "accepted") {
          // Accepted: nothing a request's URL.host could never equal.
          assert.isFalse(/[A-Z\s/@?#]/.test(host) || host === "", `accepted the host ${JSON.stringify(host)}`)
          expect(new URL(`http://${host}`).host).toBe(host)
        } else {
          assertNamesOneOf(result.error, new Map([["hosts", host]]), host)
        }
      }),
      F.params(100)
    )
  }, F.timeoutFor(100))

  it("parseRetryAfter: never throws; digits and HTTP dates are read, capped at max; anything else is None", async () => {
    const httpDate = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true })
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.nat().map(String),
          fc.constantFrom("9".repeat(400), "0", " 7 ", "-5", "1.5", "1e3", "soon", "", "٣", "2026-11-25T12:00:00Z"),
          httpDate.map((d) => d.toUTCString()),
          F.numericStrings,
          fc.string(),
          fc.string({ unit: "binary", maxLength: 12 })
        ),
        fc.integer({ min: 0, max: 4e12 }),
        fc.constantFrom<Duration.DurationInput>("30 seconds", 0, Duration.infinity, "1 day", 1500),
        async (value, now, max) => {
        await F.breathe()
          F.checked.inputs++
          const result = LimitedHttpClient.parseRetryAfter(value, { now, max })
          const maxMillis = Duration.toMillis(Duration.decode(max))
          const trimmed = value.trim()
          if (/^\d+$/.test(trimmed)) {
            assert.isTrue(Option.isSome(result))
            expect(Duration.toMillis(Option.getOrThrow(result))).toBe(Math.min(Number(trimmed) * 1000, maxMillis))
          } else if (/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) {
            assert.isTrue(Option.isSome(result), trimmed)
            expect(Duration.toMillis(Option.getOrThrow(result))).toBe(Math.min(Math.max(0, Date.parse(trimmed) - now), maxMillis))
          } else if (!/GMT|\d{4}$/.test(trimmed)) {
            assert.isTrue(Option.isNone(result), `${JSON.stringify(value)} read as ${String(result)}`)
          } else if (Option.isSome(result)) {
            const millis = Duration.toMillis(result.value)
            assert.isTrue(millis >= 0 && millis <= maxMillis)
          }
        }
      ),
      F.params(1000)
    )
  }, F.timeoutFor(1000))
})

// --- RedisLimiter -----------------------------------------------------------------

describe("RedisLimiter.layer: options checked before connecting, fuzzed", () => {
  const MAX_TIMER = 2 ** 31 - 1
  /** A duration option's bounds: `undefined` within a nano of one (rounding decides). */
  const durationIn = (v: unknown, min: number): boolean | undefined => {
    const ms = F.timeoutMillis(v)
    if (ms === undefined) return false
    if (Math.abs(ms - min) < 1e-6 || Math.abs(ms - MAX_TIMER) < 1e-6) return undefined
    return ms >= min && ms <= MAX_TIMER
  }
  const noBracesOrSpaces = (v: unknown) => typeof v === "string" && v.length > 0 && !/[{}\s]/.test(v)

  it("every option before the connection: refused naming it, or, all valid, on to the URL (not a Redis one here)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: names,
          order: optional(F.validOr(fc.constant("fifo"))),
          partitions: fc.option(partitionShares, { nil: undefined, freq: 6 }),
          adaptive: fc.boolean(),
          leaseTtl: optional(F.validOr(fc.constantFrom("5 seconds", 100, "24 days", 2 ** 31 - 1), 2)),
          commandTimeout: optional(F.validOr(fc.constantFrom("1 second", 1, "24 days"), 2)),
          failure: optional(F.validOr(fc.constantFrom("closed", "open"))),
          replicas: optional(F.validOr(fc.integer({ min: 1, max: 100 }))),
          prefix: optional(F.validOr(fc.constantFrom("ecl", "app-1", "ünï"))),
          redis: F.validOr(fc.constantFrom("http://127.0.0.1:6379", "127.0.0.1:6379", ""), 3)
        }),
        async (o) => {
          const R = Resource.make(o.name as string, {
            capacity: o.adaptive ? Limit.fixed(2) : 2,
            order: o.order as any,
            partitions: o.partitions as any
          })
          const field = (option: string) => `resources[0].${option} (resource "${o.name}")`
          const invalid = new Map<string, unknown>()
          let unsure = false
          if (!noBracesOrSpaces(o.name)) invalid.set("resources[0].name", o.name)
          if (o.partitions !== undefined) invalid.set(field("partitions"), o.partitions)
          if (o.order !== undefined && o.order !== "fifo") invalid.set(field("order"), o.order)
          for (const [option, min] of [["leaseTtl", 100], ["commandTimeout", 1]] as const) {
            const ok = o[option] === undefined ? true : durationIn(o[option], min)
            if (ok === false) invalid.set(option, o[option])
            if (ok === undefined) unsure = true
          }
          if (o.failure !== undefined && o.failure !== "closed" && o.failure !== "open") invalid.set("failure", o.failure)
          if (o.replicas !== undefined && !positiveSafe(o.replicas)) invalid.set("replicas", o.replicas)
          if (o.prefix !== undefined && !noBracesOrSpaces(o.prefix)) invalid.set("prefix", o.prefix)
          // Never a Redis URL here, so that nothing connects: all else valid, the URL is what is refused.
          // (Absent, it is REDIS_URL or the local Redis: valid, so skipped too.)
          if (o.redis === undefined || (typeof o.redis === "string" && /^rediss?:\/\//.test(o.redis))) return
          const onlyUrl = invalid.size === 0
          invalid.set("redis", o.redis)
          // An adaptive capacity is refused with the settings, after the URL.
          if (onlyUrl && unsure) return
          const layer = RedisLimiter.layer({
            timeout: "1 second",
            resources: [R],
            redis: o.redis as string,
            ...Object.fromEntries(
              (["leaseTtl", "commandTimeout", "failure", "replicas", "prefix"] as const)
                .filter((k) => o[k] !== undefined)
                .map((k) => [k, o[k]])
            )
          })
          const result = await outcome(Layer.build(layer))
          if (unsure && result._tag === "refused") {
            const error = result.error as LimiterConfigError.LimiterConfigError
            if (error.field === "leaseTtl" || error.field === "commandTimeout") return
          }
          refusedOrAccepted(result, onlyUrl ? new Map([["redis", o.redis]]) : invalid, o, () => {})
        }
      ),
      F.params(200)
    )
  }, F.timeoutFor(200))
})

describe("RedisLimiter.layer: the settings read after connecting, fuzzed against Redis", () => {
  if (skippedWithoutRedis()) return
  let sequence = 0
  it("timeout, capacity, maxWaiting, enabled, metrics: in force, or refused naming them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          capacity: F.validOr(fc.integer({ min: 1, max: 100 }), 2),
          maxWaiting: optional(F.validOr(fc.nat(100))),
          timeout: F.validOr(validTimeouts, 2),
          enabled: optional(F.validOr(fc.boolean())),
          metrics: optional(F.validOr(fc.boolean())),
          adaptive: fc.boolean()
        }),
        async (o) => {
          const R = Resource.make("Db", {
            capacity: o.adaptive ? Limit.fixed(2) : o.capacity as number,
            maxWaiting: o.maxWaiting as number | undefined
          })
          const field = (option: string) => `resources[0].${option} (resource "Db")`
          const invalid = new Map<string, unknown>()
          if (F.timeoutMillis(o.timeout) === undefined) invalid.set("timeout", o.timeout)
          if (o.enabled !== undefined && typeof o.enabled !== "boolean") invalid.set("enabled", o.enabled)
          if (o.adaptive) invalid.set(field("capacity"), "Limit.fixed")
          else if (!F.isCapacity(o.capacity)) invalid.set(field("capacity"), o.capacity)
          if (o.maxWaiting !== undefined && !F.isMaxWaiting(o.maxWaiting)) invalid.set(field("maxWaiting"), o.maxWaiting)
          if (o.metrics !== undefined && typeof o.metrics !== "boolean") invalid.set("metrics", o.metrics)
          const layer = RedisLimiter.layer({
            timeout: o.timeout as Duration.DurationInput,
            resources: [R],
            redis: "redis://127.0.0.1:6379",
            prefix: `ecl-fuzz-${process.pid}-${++sequence}`,
            ...(o.enabled === undefined ? {} : { enabled: o.enabled as boolean }),
            ...(o.metrics === undefined ? {} : { metrics: o.metrics as boolean })
          })
          const program = Effect.gen(function*() {
            const limiter = yield* Limiter.Limiter
            return { stats: yield* limiter.stats, timeout: limiter.timeout, enabled: limiter.enabled }
          }).pipe(Effect.provide(layer))
          refusedOrAccepted(await outcome(program), invalid, o, ({ enabled, stats, timeout }) => {
            assertFigures(stats)
            expect(stats[0].capacity).toBe(o.capacity)
            expect(stats[0].maxWaiting).toBe(o.maxWaiting ?? Infinity)
            expect(enabled).toBe(o.enabled ?? true)
            assert.isTrue(F.sameMillis(Duration.toMillis(timeout), F.timeoutMillis(o.timeout)!))
          })
        }
      ),
      // Each accepted input connects: a tenth of the runs.
      F.params(20, 0.01)
    )
  }, F.timeoutFor(20, 0.01))
})

// --- the example app's environment ------------------------------------------------

describe("the example app's environment, fuzzed through ConfigProvider.fromMap", () => {
  const decimal = (raw: string) => /^\d+$/.test(raw)
  /** Counts: plain decimal digits are always taken; whatever is taken is a safe integer of the text. */
  const count = (min: number) => (raw: string, value: unknown) => {
    if (decimal(raw) && Number.isSafeInteger(Number(raw)) && Number(raw) >= min) return value === Number(raw)
    return value === undefined || (Number.isSafeInteger(value) && (value as number) >= min && value === Number(raw))
  }
  const variables: ReadonlyArray<readonly [string, Config.Config<unknown>, (raw: string, value: unknown) => boolean]> = [
    ["PORT", AppConfig.port, (raw, v) => {
      const ok = /^[1-9]\d*$/.test(raw) && Number(raw) <= 65535
      return ok ? v === Number(raw) : v === undefined
    }],
    ["HOST", AppConfig.host, (raw, v) => v === (raw === "" ? "127.0.0.1" : raw)],
    ["DB_POOL_SIZE", Config.map(AppConfig.poolSize, Option.getOrUndefined), count(1)],
    ["DB_CONCURRENCY", AppConfig.dbConcurrency, count(1)],
    ["FS_CONCURRENCY", AppConfig.fsConcurrency, count(1)],
    ["DB_MAX_WAITING", AppConfig.dbMaxWaiting, count(0)],
    ["FS_MAX_WAITING", AppConfig.fsMaxWaiting, count(0)],
    ["DB_SLOW_MILLIS", AppConfig.dbSlowMillis, count(1)],
    ["SEED_ROWS", AppConfig.seedRows, count(1)],
    ["EMBEDDED_ROWS", AppConfig.embeddedRows, count(1)],
    ["DB_LIMIT", AppConfig.dbLimit, (raw, v) =>
      ["fixed", "auto", "gradient2", "vegas", "aimd"].includes(raw) ? v === raw : v === undefined],
    ["LIMITER_ENABLED", AppConfig.limiterEnabled, (raw, v) => v === BOOLEAN_WORDS[raw]],
    ["LIMITER_TIMEOUT", AppConfig.limiterTimeout, (raw, v) => v === raw],
    ["LIMITER_REDIS_PREFIX", AppConfig.limiterRedisPrefix, (raw, v) => v === raw]
  ]

  it("each variable: parsed as the README says, or a ConfigError naming the variable and the value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...variables), F.rawText, async ([name, config, rule], raw) => {
        const env = { [name]: raw }
        const result = await outcome(Effect.withConfigProvider(config, fromEnv(env)))
        if (result._tag === "refused") {
          assertConfigErrorNames(result.error, env)
          assert.isTrue(rule(raw, undefined), `${name}=${JSON.stringify(raw)} was refused`)
        } else {
          assert.isTrue(rule(raw, result.value), `${name}=${JSON.stringify(raw)} read as ${renderValue(result.value)}`)
        }
      }),
      F.params(300)
    )
  }, F.timeoutFor(300))

  it("DB_CONCURRENCY, DB_MAX_WAITING and LIMITER_TIMEOUT through the limiter: in force, or named", async () => {
    await fc.assert(
      fc.asyncProperty(F.rawText, F.rawText, F.rawText, async (concurrency, maxWaiting, timeout) => {
        const env = { DB_CONCURRENCY: concurrency, DB_MAX_WAITING: maxWaiting, LIMITER_TIMEOUT: timeout }
        const Db = Resource.make("Db", { capacity: AppConfig.dbConcurrency, maxWaiting: AppConfig.dbMaxWaiting })
        const program = Effect.gen(function*() {
          const limiter = yield* Limiter.Limiter
          return { stats: yield* limiter.stats, timeout: limiter.timeout }
        }).pipe(
          Effect.provide(Limiter.layer({ timeout: AppConfig.limiterTimeout, resources: [Db] })),
          Effect.withConfigProvider(fromEnv(env))
        )
        const result = await outcome(program)
        if (result._tag === "refused" && isConfigError(result.error)) return assertConfigErrorNames(result.error, env)
        // The example's own checks passed: the limiter refuses only a bad timeout.
        const invalid = new Map<string, unknown>()
        if (F.timeoutMillis(timeout) === undefined) invalid.set("timeout", timeout)
        refusedOrAccepted(result, invalid, env, ({ stats, timeout: inForce }) => {
          assertFigures(stats)
          expect(stats[0].capacity).toBe(Number(concurrency))
          expect(stats[0].maxWaiting).toBe(Number(maxWaiting))
          assert.isTrue(F.sameMillis(Duration.toMillis(inForce), F.timeoutMillis(timeout)!))
        })
      }),
      F.params(150)
    )
  }, F.timeoutFor(150))
})

// --- the defects this fuzz found, replayed ------------------------------------------

describe("config fuzz: the inputs that failed, replayed", () => {
  const Db = Resource.make("Db", { capacity: 1 })
  const timeoutOf = (timeout: unknown) =>
    Effect.gen(function*() {
      return Duration.toMillis((yield* Limiter.Limiter).timeout)
    }).pipe(Effect.provide(Limiter.layer({ timeout: timeout as Duration.DurationInput, resources: [Db] })))

  it.effect("timeout \"1000000000000000000000 seconds\" and \"0.0000001 seconds\": taken, not a defect (Duration.decode threw)", () =>
    Effect.gen(function*() {
      expect(yield* timeoutOf("1000000000000000000000 seconds")).toBe(1e24)
      expect(yield* timeoutOf("0.0000001 seconds")).toBe(1e-4)
      expect(yield* timeoutOf("9".repeat(400) + " millis")).toBe(Infinity)
      expect(yield* timeoutOf("1e400 millis".replace("1e400", "1" + "0".repeat(400)))).toBe(Infinity)
    }))

  it.effect("timeout [1e308, 0] (seconds, nanos): taken, not a defect (BigInt(Infinity) threw)", () =>
    Effect.gen(function*() {
      expect(yield* timeoutOf([1e308, 0])).toBe(Infinity)
      expect(yield* timeoutOf([1e300, 0])).toBe(1e303)
    }))

  it.effect("timeout [, ,] (a sparse pair): refused, not read as zero (every() skipped the holes)", () =>
    Effect.gen(function*() {
      // eslint-disable-next-line no-sparse-arrays
      const error = yield* Effect.flip(timeoutOf([, ,]))
      expect((error as LimiterConfigError.LimiterConfigError).field).toBe("timeout")
      // eslint-disable-next-line no-sparse-arrays
      expect(() => Limiter.withResources([Db], { timeout: [, ,] as any })).toThrow(TypeError)
    }))

  it.effect("enabled: \"false\" (a string) is refused, not read as on", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(Limiter.layer({ timeout: 0, resources: [Db], enabled: "false" as any })).pipe(
        Effect.scoped,
        Effect.flip
      )
      assert.instanceOf(error, LimiterConfigError.LimiterConfigError)
      expect((error as LimiterConfigError.LimiterConfigError).message).toBe(
        "Invalid Limiter option enabled: expected a boolean, got \"false\""
      )
      const metrics = yield* Layer.build(Limiter.layer({ timeout: 0, resources: [Db], metrics: 0 as any })).pipe(
        Effect.scoped,
        Effect.flip
      )
      expect((metrics as LimiterConfigError.LimiterConfigError).field).toBe("metrics")
    }))

  it.effect("resources: [null] is refused naming resources[0], not a TypeError", () =>
    Effect.gen(function*() {
      const error = yield* Layer.build(Limiter.layer({ timeout: 0, resources: [null] as any })).pipe(Effect.scoped, Effect.flip)
      expect((error as LimiterConfigError.LimiterConfigError).message).toBe(
        "Invalid Limiter option resources[0]: expected a resource made by Resource.make, got null"
      )
      const redis = yield* Layer.build(RedisLimiter.layer({ timeout: 0, resources: [null] as any })).pipe(Effect.scoped, Effect.flip)
      expect((redis as LimiterConfigError.LimiterConfigError).field).toBe("resources[0]")
      const client = yield* LimitedHttpClient.make(HttpClient.make(() => Effect.die("unused")), { resources: [null] as any }).pipe(
        Effect.scoped,
        Effect.provide(Limiter.layer({ timeout: 0, resources: [Db] })),
        Effect.flip
      )
      expect((client as LimiterConfigError.LimiterConfigError).field).toBe("resources[0]")
      expect((client as LimiterConfigError.LimiterConfigError).value).toBe("null")
    }))

  it.effect("LimitedHttpClient resources [, Api] (a hole) and retry statuses [, 429]: refused, not skipped by forEach", () =>
    Effect.gen(function*() {
      const Api = Resource.make("Api", { capacity: 1 })
      const fake = HttpClient.make(() => Effect.die("unused"))
      const make = (options: object) =>
        LimitedHttpClient.make(fake, { resources: [Api], ...options } as any).pipe(
          Effect.scoped,
          Effect.provide(Limiter.layer({ timeout: 0, resources: [Api] })),
          Effect.flip
        )
      // eslint-disable-next-line no-sparse-arrays
      const hole = yield* make({ resources: [, Api] })
      expect((hole as LimiterConfigError.LimiterConfigError).field).toBe("resources[0]")
      expect((hole as LimiterConfigError.LimiterConfigError).value).toBe("undefined")
      // eslint-disable-next-line no-sparse-arrays
      const status = yield* make({ retry: { statuses: [, 429] } })
      expect((status as LimiterConfigError.LimiterConfigError).field).toBe("retry.statuses[0]")
    }))

  it.effect("capacity Object.create(null), or an object that contains itself: refused and rendered, not a TypeError", () =>
    Effect.gen(function*() {
      const bare = Object.create(null)
      const cyclic: Record<string, unknown> = { a: 1 }
      cyclic.self = cyclic
      for (const [capacity, shown] of [[bare, "{}"], [cyclic, "{ a: 1, self: [Circular] }"]] as const) {
        const error = yield* Layer.build(
          Limiter.layer({ timeout: 0, resources: [Resource.make("Bad", { capacity: capacity as any })] })
        ).pipe(Effect.scoped, Effect.flip)
        expect((error as LimiterConfigError.LimiterConfigError).value).toBe(shown)
      }
      const exit = yield* Effect.exit(Semaphore.make(bare))
      assert.instanceOf(Option.getOrThrow(Cause.dieOption((exit as Exit.Failure<never, never>).cause)), RangeError)
    }))

  it.effect("RedisLimiter: leaseTtl and commandTimeout past a Node timer (24.8 days) are refused, before connecting", () =>
    Effect.gen(function*() {
      for (const option of ["leaseTtl", "commandTimeout"] as const) {
        const error = yield* Layer.build(
          RedisLimiter.layer({ timeout: 0, resources: [Db], redis: "redis://127.0.0.1:1", [option]: "30 days" })
        ).pipe(Effect.scoped, Effect.flip)
        expect((error as LimiterConfigError.LimiterConfigError).message).toBe(
          `Invalid Limiter option ${option}: expected a duration of at least ${option === "leaseTtl" ? 100 : 1} millis ` +
            `and at most 2147483647 millis (24.8 days), got "30 days"`
        )
      }
    }))

  it.runIf(redisUp)("RedisLimiter with timeout \"30 days\": a queued guard waits (Node fired the timer at once; skipped without Redis at 127.0.0.1:6379)", async () => {
    const Shared = Resource.make("Shared", { capacity: 1 })
    const program = Effect.gen(function*() {
      // The holder has its permit before the second guard asks (a fixed
      // sleep would let a slow Redis round trip give it to the second).
      const holding = yield* Effect.makeLatch(false)
      const held = yield* Effect.fork(Effect.zipRight(holding.open, Effect.never).pipe(Limiter.withResources([Shared])))
      yield* holding.await
      const queued = yield* Effect.fork(Effect.void.pipe(Limiter.withResources([Shared])))
      // The defect refused at once; a queued guard can only end when the holder lets go.
      yield* Effect.sleep("200 millis")
      const done = yield* Fiber.poll(queued)
      yield* Fiber.interrupt(held)
      yield* Fiber.interrupt(queued)
      return done
    }).pipe(
      Effect.provide(RedisLimiter.layer({ timeout: "30 days", resources: [Shared], prefix: `ecl-fuzz-replay-${process.pid}` }))
    )
    assert.isTrue(Option.isNone(await Effect.runPromise(Effect.scoped(program))), "the queued guard was refused at once")
  })

  it.effect("the example app: a blank DB_MAX_WAITING, and DB_CONCURRENCY=1e300, are refused naming the variable", () =>
    Effect.gen(function*() {
      const blank = yield* AppConfig.dbMaxWaiting.pipe(Effect.withConfigProvider(fromEnv({ DB_MAX_WAITING: "" })), Effect.flip)
      expect(String(blank)).toContain("DB_MAX_WAITING")
      expect(String(blank)).toContain("\"\"")
      const huge = yield* AppConfig.dbConcurrency.pipe(Effect.withConfigProvider(fromEnv({ DB_CONCURRENCY: "1e300" })), Effect.flip)
      expect(String(huge)).toContain("DB_CONCURRENCY")
      expect(String(huge)).toContain("1e300")
      const rows = yield* AppConfig.seedRows.pipe(Effect.withConfigProvider(fromEnv({ SEED_ROWS: "1e300" })), Effect.flip)
      expect(String(rows)).toContain("SEED_ROWS")
    }))
})
