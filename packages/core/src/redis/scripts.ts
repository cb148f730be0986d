/**
 * The three scripts as data any Redis client can send: each one's Lua
 * source and number of keys, the layout of its arguments, and the reading
 * of its reply. `client.ts` runs them on a client that has `EVALSHA` and
 * `EVAL`; a line with a Redis service of its own sends the same calls.
 */
import type { ResourceKeys } from "./keys.js"
import { ACQUIRE, RELEASE, TICK } from "./lua.js"

/** A script: its name (for errors), its Lua source, the number of keys it takes. */
export interface Script {
  readonly name: "acquire" | "release" | "tick"
  readonly lua: string
  readonly numberOfKeys: number
}

/** Asks for a permit, or a place in the queue. */
export const acquireScript: Script = { name: "acquire", lua: ACQUIRE, numberOfKeys: 5 }

/** Gives back permits, and leaves the queue. */
export const releaseScript: Script = { name: "release", lua: RELEASE, numberOfKeys: 5 }

/** Renews one replica's leases and heartbeats, and hands on permits freed by expiry. */
export const tickScript: Script = { name: "tick", lua: TICK, numberOfKeys: 5 }

/** A script with its keys and arguments, ready to send: `EVALSHA <sha> <keys.length> ...keys ...argv`. */
export interface ScriptCall {
  readonly script: Script
  readonly keys: ReadonlyArray<string>
  readonly argv: ReadonlyArray<string>
}

/** The settings every script call passes. */
export interface ScriptArgs {
  readonly channel: string
  readonly capacity: number
  readonly leaseTtlMillis: number
  readonly queueTtlMillis: number
}

/** ARGV[1..4], shared by every script. */
const common = (args: ScriptArgs): Array<string> => [
  args.channel,
  String(args.capacity),
  String(args.leaseTtlMillis),
  String(args.queueTtlMillis)
]

/** Answers of the `acquire` script: granted. */
export const Granted = 1
/** Answers of the `acquire` script: queued (or still queued). */
export const Queued = 0
/** Answers of the `acquire` script: the queue is full. */
export const QueueFull = -1
/** Answers of the `acquire` script: no permit free, and the caller may not wait. */
export const NotFree = -2

/** What the `acquire` script answers. */
export type AcquireAnswer = typeof Granted | typeof Queued | typeof QueueFull | typeof NotFree

/**
 * `id` asks for a permit; `maxWaiting` bounds the queue (`Infinity`: no
 * bound); `mayWait` false: refused rather than queued when none is free.
 */
export const acquireCall = (
  { keys }: ResourceKeys,
  args: ScriptArgs,
  id: string,
  maxWaiting: number,
  mayWait: boolean
): ScriptCall => ({
  script: acquireScript,
  keys,
  argv: [...common(args), id, String(Number.isFinite(maxWaiting) ? maxWaiting : -1), mayWait ? "1" : "0"]
})

/** `ids` are done, holders or waiters alike. */
export const releaseCall = ({ keys }: ResourceKeys, args: ScriptArgs, ids: ReadonlyArray<string>): ScriptCall => ({
  script: releaseScript,
  keys,
  argv: [...common(args), ...ids]
})

/** One replica's periodic step over its `holders` and `waiters` of one resource. */
export const tickCall = (
  { keys }: ResourceKeys,
  args: ScriptArgs,
  holders: ReadonlyArray<string>,
  waiters: ReadonlyArray<string>
): ScriptCall => ({
  script: tickScript,
  keys,
  argv: [...common(args), String(holders.length), ...holders, ...waiters]
})

/** An integer reply: a number, or the digits some clients give it as. */
const integer = (script: string, reply: unknown): number => {
  const n = typeof reply === "string" && /^-?\d+$/.test(reply) ? Number(reply) : reply
  if (typeof n === "number" && Number.isSafeInteger(n)) return n
  throw new TypeError(`Redis script ${script}: expected an integer reply, got ${typeof reply === "string" ? JSON.stringify(reply) : String(reply)}`)
}

/** The reply of `acquire`: one of its four answers (any other reply throws). */
export const parseAcquireReply = (reply: unknown): AcquireAnswer => {
  const n = integer("acquire", reply)
  if (n === Granted || n === Queued || n === QueueFull || n === NotFree) return n
  throw new TypeError(`Redis script acquire: expected 1, 0, -1 or -2, got ${n}`)
}

/** The reply of `release`: how many of the ids held a permit. */
export const parseReleaseReply = (reply: unknown): number => integer("release", reply)

/**
 * The reply of `tick`: one status per id, holders first (1 renewed, 2
 * re-registered, 0 lost), then waiters (1 granted, 0 waiting, -1 unknown).
 */
export const parseTickReply = (reply: unknown): Array<number> => {
  if (!Array.isArray(reply)) throw new TypeError(`Redis script tick: expected a list reply, got ${String(reply)}`)
  return reply.map((status) => integer("tick", status))
}
