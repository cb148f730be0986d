/**
 * The scripts run on a Redis client that has `EVALSHA` and `EVAL` (ioredis,
 * node-redis through a thin wrapper, …): each call is sent by its hash,
 * one round trip that does not carry the script, and by its source once
 * when Redis does not know it yet (a first call, or a restarted Redis).
 */
import { createHash } from "node:crypto"
import type { ResourceKeys } from "./keys.js"
import {
  type AcquireAnswer,
  acquireCall,
  parseAcquireReply,
  parseReleaseReply,
  parseTickReply,
  releaseCall,
  type Script,
  type ScriptArgs,
  type ScriptCall,
  tickCall
} from "./scripts.js"

/** What the scripts need of a Redis client: ioredis's `Redis` and `Cluster` have it as they are. */
export interface ScriptClient {
  evalsha(sha1: string, numberOfKeys: number, ...args: Array<string>): Promise<unknown>
  eval(script: string, numberOfKeys: number, ...args: Array<string>): Promise<unknown>
}

const shas = new WeakMap<Script, string>()

/** The SHA-1 of a script's source: its name in Redis's script cache. */
export const sha1Of = (script: Script): string => {
  let sha = shas.get(script)
  if (sha === undefined) {
    sha = createHash("sha1").update(script.lua).digest("hex")
    shas.set(script, sha)
  }
  return sha
}

/** Sends a call by its hash, then by its source if Redis answers `NOSCRIPT`; resolves to the raw reply. */
export const runScript = (client: ScriptClient, { argv, keys, script }: ScriptCall): Promise<unknown> => {
  const args = [...keys, ...argv]
  return client.evalsha(sha1Of(script), keys.length, ...args).catch((error: unknown) => {
    // NOSCRIPT: the script did not run, so sending it again runs it once.
    if (error instanceof Error && error.message.includes("NOSCRIPT")) return client.eval(script.lua, keys.length, ...args)
    throw error
  })
}

/** The scripts bound to a client, their replies read. */
export class Scripts {
  constructor(readonly client: ScriptClient) {}

  /** Asks for a permit for `id` (see `acquireCall`). */
  acquire(keys: ResourceKeys, args: ScriptArgs, id: string, maxWaiting: number, mayWait: boolean): Promise<AcquireAnswer> {
    return runScript(this.client, acquireCall(keys, args, id, maxWaiting, mayWait)).then(parseAcquireReply)
  }

  /** Gives back `ids`' permits and places; resolves to how many held a permit. */
  release(keys: ResourceKeys, args: ScriptArgs, ids: ReadonlyArray<string>): Promise<number> {
    return runScript(this.client, releaseCall(keys, args, ids)).then(parseReleaseReply)
  }

  /** One replica's periodic step; resolves to one status per id (see `parseTickReply`). */
  tick(keys: ResourceKeys, args: ScriptArgs, holders: ReadonlyArray<string>, waiters: ReadonlyArray<string>): Promise<Array<number>> {
    return runScript(this.client, tickCall(keys, args, holders, waiters)).then(parseTickReply)
  }
}
