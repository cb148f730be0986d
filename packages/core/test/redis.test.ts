/**
 * The Redis scripts as data: the key layout, the arguments each script is
 * sent, the reading of the replies, and the `EVALSHA`-then-`EVAL` fallback,
 * against a recording client (the scripts themselves run against a real
 * Redis in the Effect 3 line's RedisLimiter tests).
 */
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { runScript, type ScriptClient, Scripts, sha1Of } from "../src/redis/client.js"
import { grantChannel, keysOf } from "../src/redis/keys.js"
import {
  acquireCall,
  acquireScript,
  parseAcquireReply,
  parseReleaseReply,
  parseTickReply,
  releaseCall,
  tickCall
} from "../src/redis/scripts.js"

const keys = keysOf("ecl", "Db")
const args = { channel: keys.channel, capacity: 3, leaseTtlMillis: 5_000, queueTtlMillis: 2_000 }

/** A client that records what it is sent and answers with `reply`, or a NOSCRIPT error to EVALSHA while `loaded` is false. */
const recording = (reply: unknown, loaded: boolean) => {
  const sent: Array<ReadonlyArray<string | number>> = []
  const client: ScriptClient = {
    evalsha: (sha, n, ...rest) => {
      sent.push(["EVALSHA", sha, n, ...rest])
      return loaded ? Promise.resolve(reply) : Promise.reject(new Error("NOSCRIPT No matching script. Please use EVAL."))
    },
    eval: (lua, n, ...rest) => {
      sent.push(["EVAL", lua, n, ...rest])
      loaded = true
      return Promise.resolve(reply)
    }
  }
  return { client, sent }
}

describe("Redis keys", () => {
  it("puts every key of a resource under one hash tag", () => {
    expect(keys.keys).toEqual(["ecl:{Db}:holders", "ecl:{Db}:waiters", "ecl:{Db}:alive", "ecl:{Db}:seq", "ecl:{Db}:fence"])
    expect(grantChannel(keys, "replica-1")).toBe("ecl:{Db}:granted:replica-1")
  })
})

describe("Redis script calls", () => {
  it("lays out acquire's arguments: the common four, the id, the queue bound (-1: none), whether it may wait", () => {
    expect(acquireCall(keys, args, "r:1", Infinity, true).argv).toEqual(["ecl:{Db}:granted", "3", "5000", "2000", "r:1", "-1", "1"])
    expect(acquireCall(keys, args, "r:2", 0, false).argv).toEqual(["ecl:{Db}:granted", "3", "5000", "2000", "r:2", "0", "0"])
    expect(acquireCall(keys, args, "r:1", 4, true).keys).toBe(keys.keys)
  })

  it("lays out release's ids and tick's holders count, holders, then waiters", () => {
    expect(releaseCall(keys, args, ["r:1", "r:2"]).argv.slice(4)).toEqual(["r:1", "r:2"])
    expect(tickCall(keys, args, ["r:1"], ["r:2", "r:3"]).argv.slice(4)).toEqual(["1", "r:1", "r:2", "r:3"])
    expect(tickCall(keys, args, [], []).argv.slice(4)).toEqual(["0"])
  })
})

describe("Redis script replies", () => {
  it("reads acquire's four answers, as numbers or digits, and refuses anything else", () => {
    expect([1, 0, -1, -2, "-2"].map(parseAcquireReply)).toEqual([1, 0, -1, -2, -2])
    for (const reply of [2, "x", null, 1.5, [1]]) expect(() => parseAcquireReply(reply), String(reply)).toThrow(TypeError)
  })

  it("reads release's count and tick's statuses", () => {
    expect(parseReleaseReply(2)).toBe(2)
    expect(parseTickReply([1, 2, 0, -1, "1"])).toEqual([1, 2, 0, -1, 1])
    expect(() => parseTickReply(1)).toThrow(TypeError)
    expect(() => parseTickReply([1, "no"])).toThrow(TypeError)
  })
})

describe("runScript", () => {
  it("sends a script by its SHA-1 when Redis knows it", async () => {
    const { client, sent } = recording(1, true)
    expect(await runScript(client, acquireCall(keys, args, "r:1", Infinity, true))).toBe(1)
    expect(sha1Of(acquireScript)).toBe(createHash("sha1").update(acquireScript.lua).digest("hex"))
    expect(sent).toEqual([["EVALSHA", sha1Of(acquireScript), 5, ...keys.keys, "ecl:{Db}:granted", "3", "5000", "2000", "r:1", "-1", "1"]])
  })

  it("sends its source once when Redis answers NOSCRIPT, then by its SHA-1 again", async () => {
    const { client, sent } = recording([1, 0], false)
    const scripts = new Scripts(client)
    expect(await scripts.tick(keys, args, ["r:1"], ["r:2"])).toEqual([1, 0])
    expect(await scripts.tick(keys, args, ["r:1"], ["r:2"])).toEqual([1, 0])
    expect(sent.map((command) => command[0])).toEqual(["EVALSHA", "EVAL", "EVALSHA"])
  })

  it("lets any other error through, without sending the script", async () => {
    const client: ScriptClient = {
      evalsha: () => Promise.reject(new Error("READONLY You can't write against a read only replica.")),
      eval: () => Promise.reject(new Error("must not be called"))
    }
    await expect(new Scripts(client).release(keys, args, ["r:1"])).rejects.toThrow("READONLY")
  })
})
