/**
 * The config fuzz's inputs, its oracles (what the README says is valid,
 * written here without the library's validators), and its run settings.
 */
import { Duration } from "effect"
import * as fc from "effect/FastCheck"

// --- run settings -------------------------------------------------------------

/** `FUZZ_RUNS`, when set: the runs of every property (`npm run fuzz:config`). */
const fuzzRuns = (): number | undefined => {
  const runs = Number(process.env.FUZZ_RUNS)
  return process.env.FUZZ_RUNS !== undefined && Number.isSafeInteger(runs) && runs > 0 ? runs : undefined
}

/**
 * Runs of a property: `short` in `npm test`; with `FUZZ_RUNS`, that many
 * times `share` (a property whose every input connects to Redis takes a
 * small share).
 */
export const numRuns = (short: number, share = 1): number => {
  const runs = fuzzRuns()
  return runs === undefined ? short : Math.max(1, Math.round(runs * share))
}

/** One fixed seed, so that every run checks the same inputs; `FUZZ_SEED` replays another. */
export const seed: number = Number.isSafeInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED !== ""
  ? Number(process.env.FUZZ_SEED)
  : 20261127

/** How many inputs the properties checked, for the summary line. */
export const checked = { inputs: 0 }

/** fast-check's settings for one property: the seed, the runs, and the path of a failure. */
export const params = (short: number, share = 1): fc.Parameters<unknown> => ({ seed, numRuns: numRuns(short, share) })

/** A vitest timeout that grows with the runs: a long fuzz must not be cut by the 30 s default. */
export const timeoutFor = (short: number, share = 1): number => Math.max(30_000, numRuns(short, share) * 20)

// --- inputs -------------------------------------------------------------------

const edgeNumbers = [
  0, -0, 1, -1, 2, 5, 0.5, 1.5, -1.5, NaN, Infinity, -Infinity,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, -Number.MAX_VALUE,
  1e308, 1e21, 1e-7, Number.MIN_VALUE, Number.EPSILON, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 99, 100, 1000, 0.999999, 1.0000001
]

/** Numbers, edges first: zero and minus zero, fractions, NaN, infinities, past the safe integers. */
export const numbers: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(...edgeNumbers),
  fc.integer({ min: -5, max: 300 }),
  fc.integer(),
  fc.double(),
  fc.double({ min: 0, max: 1 })
)

/** Numbers as text, as an environment variable holds them. */
export const numericStrings: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "5", "1e3", " 5 ", "0x10", "-0", "", " ", "1.5", "-1", "NaN", "Infinity", "-Infinity", "+5", ".5", "5.", "007",
    "1_000", "0b11", "0o7", "١٢", "５", "5\n", "\t5", "9".repeat(400), "9007199254740993", "1e300", "0.0000001", "65535",
    "65536", "8000", "true", "null"
  ),
  numbers.map(String),
  fc.integer({ min: -10, max: 100_000 }).map(String)
)

const units = [
  "nanos", "nano", "micros", "micro", "millis", "milli", "seconds", "second", "minutes", "minute", "hours", "hour", "days",
  "day", "weeks", "week", "parsecs", "ms", "s", "sec", "Seconds", "SECONDS", "millis!"
]

/** Duration strings, well formed or nearly: units that do not exist, signs, exponents, unicode digits. */
export const durationStrings: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(
    fc.oneof(numericStrings, fc.constantFrom("1", "0", "-5", "2.5", "1000000000000000000000", "0.0000001", "9".repeat(320))),
    fc.constantFrom(" ", "  ", "\t", "", "\u00a0", "\n", "\u2003"),
    fc.constantFrom(...units)
  ).map(([amount, space, unit]) => `${amount}${space}${unit}`),
  fc.constantFrom(
    "-5 seconds", "5 parsecs", "1e3 millis", "٥ seconds", " 5 seconds ", "Infinity seconds", "0 seconds", "1.5 nanos",
    "1000000000000000000000 seconds", "0.0000001 seconds", "-0 seconds", "30 days", "25 days", "24 days", "100 millis",
    "99 millis", "1 millis", "5 seconds", "2147483647 millis", "2147483648 millis"
  )
)

/** Durations, including what `Duration` makes of a negative, NaN or infinite input. */
export const durations: fc.Arbitrary<Duration.Duration> = fc.oneof(
  fc.constantFrom(
    Duration.zero, Duration.infinity, Duration.millis(-5), Duration.millis(NaN), Duration.seconds(Infinity),
    Duration.nanos(1n), Duration.days(30), Duration.seconds(1)
  ),
  fc.double({ min: 0, noNaN: true }).map(Duration.millis),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(Duration.nanos)
)

const anything = fc.anything({
  maxDepth: 2,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true
})

/** Any input at all, biased towards the edges of numbers, strings and durations. */
export const fuzzValue: fc.Arbitrary<unknown> = fc.oneof(
  numbers,
  numericStrings,
  durationStrings,
  fc.string(),
  fc.string({ unit: "binary" }),
  durations,
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  fc.tuple(numbers, numbers),
  fc.boolean(),
  fc.constantFrom(null, undefined, "fifo", "lifo", "closed", "open", "FIFO", "token-bucket", "fixed-window"),
  fc.array(numbers, { maxLength: 3 }),
  anything,
  fc.constant(() => 1)
)

/** A value that is either valid (from `valid`) or anything: so that both outcomes are common. */
export const validOr = <A>(valid: fc.Arbitrary<A>, weight = 1): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight }, { arbitrary: fuzzValue, weight: 2 })

/** Raw environment text: numbers, duration strings, words, any unicode. */
export const rawText: fc.Arbitrary<string> = fc.oneof(
  numericStrings,
  durationStrings,
  fc.constantFrom("true", "false", "yes", "no", "on", "off", "1", "0", "TRUE", "maybe", "fixed", "gradient2", "vegas", "aimd", "bbr"),
  fc.string(),
  fc.string({ unit: "binary", maxLength: 8 })
)

// --- oracles: what the README says is valid -------------------------------------

/** `capacity`: "a positive safe integer". */
export const isCapacity = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0

/** `maxWaiting`: "a non-negative safe integer (0: never queue), or Infinity for no bound". */
export const isMaxWaiting = (v: unknown): v is number =>
  v === Infinity || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0)

const MILLIS_PER: Record<string, number> = {
  nano: 1e-6,
  micro: 1e-3,
  milli: 1,
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000
}

/** Effect's duration strings: a decimal amount, white space, a unit (singular or plural). */
const DURATION_TEXT = /^(-?\d+(?:\.\d+)?)\s+(nano|micro|milli|second|minute|hour|day|week)s?$/

/**
 * `timeout`: a non-negative `Duration.DurationInput` — a number of millis, a
 * bigint of nanos, `[seconds, nanos]`, a string such as "2 seconds", or a
 * `Duration`. The millis it stands for, or `undefined` when it is invalid.
 */
export const timeoutMillis = (v: unknown): number | undefined => {
  if (Duration.isDuration(v)) return Duration.toMillis(v)
  if (typeof v === "number") return Number.isNaN(v) || v < 0 ? undefined : v
  if (typeof v === "bigint") return v < 0n ? undefined : Number(v) / 1e6
  if (Array.isArray(v)) {
    const [seconds, nanos] = [v[0], v[1]]
    if (v.length !== 2 || ![seconds, nanos].every((n) => typeof n === "number" && !Number.isNaN(n) && n >= 0)) return undefined
    return v[0] * 1_000 + v[1] / 1e6
  }
  if (typeof v !== "string") return undefined
  const match = DURATION_TEXT.exec(v.trim())
  if (match === null) return undefined
  const amount = Number(match[1])
  return amount < 0 ? undefined : Math.abs(amount) * MILLIS_PER[match[2]]
}

/** Whether a duration in force is the one `expected` stands for (nanos are rounded, floats are floats). */
export const sameMillis = (actual: number, expected: number): boolean =>
  actual === expected || Math.abs(actual - expected) <= 2e-6 + 1e-9 * Math.abs(expected)

/** `order`: "fifo" or "lifo". */
export const isOrder = (v: unknown): boolean => v === "fifo" || v === "lifo"

/** `partitions`: named shares, each in (0, 1], together at most 1. */
export const isPartitions = (v: unknown): boolean => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false
  const entries = Object.entries(v)
  if (entries.length === 0) return false
  let total = 0
  for (const [name, share] of entries) {
    if (name === "" || typeof share !== "number" || !(share > 0 && share <= 1)) return false
    total += share
  }
  return total <= 1 + 1e-9
}

/** A finite number, not NaN: what every figure in the stats must be (or `Infinity` for an unbounded queue). */
export const isFigure = (n: unknown): boolean => typeof n === "number" && !Number.isNaN(n)

let sinceBreath = 0

/**
 * Lets the event loop run every few hundred inputs: a long synchronous run
 * would starve vitest's worker, whose calls to the main process time out.
 */
export const breathe = (): Promise<void> | undefined =>
  ++sinceBreath % 250 === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined
