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
 */
export type Mode = "with" | "without" | "bounded"

export const allModes: ReadonlyArray<Mode> = ["with", "without", "bounded"]

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
  capacities: { readonly db: number; readonly fs: number }
): { readonly LIMITER_ENABLED: string; readonly DB_MAX_WAITING: string | undefined; readonly FS_MAX_WAITING: string | undefined } => ({
  LIMITER_ENABLED: String(limitingOf(mode)),
  DB_MAX_WAITING: mode === "bounded" ? String(queueBoundFactor * capacities.db) : undefined,
  FS_MAX_WAITING: mode === "bounded" ? String(queueBoundFactor * capacities.fs) : undefined
})
