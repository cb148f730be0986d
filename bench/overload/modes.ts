/**
 * The overload benchmark's modes and what each sets in the server's
 * environment. Pure, so the wiring is unit-tested without starting a server.
 */

/**
 * `with`: the limiter on, queues unbounded (the published runs).
 * `without`: the limiter off (`LIMITER_ENABLED=false`), the same app otherwise.
 * `bounded`: the limiter on, each resource's queue bounded to 2 × its capacity
 * (`DB_MAX_WAITING`, `FS_MAX_WAITING`); a request that would be one more
 * waiter gets its 503 at once.
 * `adaptive`: the limiter on, `Db`'s capacity an adaptive limit (`DB_LIMIT`,
 * `--algorithm`) started at {@link adaptiveInitial}, far above what the
 * database takes: nobody chose 5.
 */
export type Mode = "with" | "without" | "bounded" | "adaptive"

export const allModes: ReadonlyArray<Mode> = ["with", "without", "bounded", "adaptive"]

/** The adaptive algorithms the example app offers (`DB_LIMIT`). */
export type Algorithm = "auto" | "gradient2" | "vegas" | "aimd"

export const algorithms: ReadonlyArray<Algorithm> = ["auto", "gradient2", "vegas", "aimd"]

/** Where an adaptive `Db` starts: 20 × the fixed capacity of the published runs. */
export const adaptiveInitial = 100

/** Parses `--algorithm`; throws on an unknown one. */
export const parseAlgorithm = (text: string): Algorithm => {
  if (!(algorithms as ReadonlyArray<string>).includes(text)) {
    throw new Error(`--algorithm: unknown algorithm "${text}" (expected one of ${algorithms.join(", ")})`)
  }
  return text as Algorithm
}

/** How many waiters a `bounded` run allows per unit of capacity. */
export const queueBoundFactor = 2

/** Parses `--modes`, e.g. "with,bounded"; throws on an unknown or repeated mode. */
export const parseModes = (text: string): ReadonlyArray<Mode> => {
  const modes = text.split(",").map((m) => m.trim()).filter((m) => m !== "")
  for (const m of modes) {
    if (!(allModes as ReadonlyArray<string>).includes(m)) {
      throw new Error(`--modes: unknown mode "${m}" (expected some of ${allModes.join(",")})`)
    }
  }
  if (modes.length === 0) throw new Error("--modes: no mode given")
  if (new Set(modes).size !== modes.length) throw new Error(`--modes: a mode is repeated in "${text}"`)
  return modes as ReadonlyArray<Mode>
}

/** Whether the limiter is on in a mode. */
export const limitingOf = (mode: Mode): boolean => mode !== "without"

/**
 * The part of the server's environment that differs between modes. Every
 * variable is always present: `undefined` removes it from the environment
 * the server inherits, so a `DB_MAX_WAITING` set in the shell cannot leak
 * into a `with` run.
 */
export const modeEnv = (
  mode: Mode,
  capacities: { readonly db: number; readonly fs: number },
  algorithm: Algorithm = "gradient2"
): {
  readonly LIMITER_ENABLED: string
  readonly DB_CONCURRENCY: string
  readonly DB_LIMIT: string | undefined
  readonly DB_MAX_WAITING: string | undefined
  readonly FS_MAX_WAITING: string | undefined
} => ({
  LIMITER_ENABLED: String(limitingOf(mode)),
  DB_CONCURRENCY: String(mode === "adaptive" ? adaptiveInitial : capacities.db),
  DB_LIMIT: mode === "adaptive" ? algorithm : undefined,
  DB_MAX_WAITING: mode === "bounded" ? String(queueBoundFactor * capacities.db) : undefined,
  FS_MAX_WAITING: mode === "bounded" ? String(queueBoundFactor * capacities.fs) : undefined
})
