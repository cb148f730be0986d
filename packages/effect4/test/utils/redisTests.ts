/**
 * The RedisLimiter tests' guard against a machine without Redis: they run
 * whenever 127.0.0.1:6379 answers and say plainly that they were skipped
 * otherwise.
 */
import { it } from "@effect/vitest"
import { existsSync } from "node:fs"
import { afterAll } from "vitest"
import { cleanKeys, reachable, redisServer, uniquePrefix } from "./redis.js"

/** Whether the machine's Redis answers, checked once per test file. */
export const redisUp = await reachable(6379)

/**
 * Inside a `describe`: without Redis, registers one skipped test that says
 * why and returns `true`, so that the `describe` returns before its tests.
 */
export const skippedWithoutRedis = (): boolean => {
  if (redisUp) return false
  it.skip("Redis was not reachable at 127.0.0.1:6379, so RedisLimiter was not tested against it", () => {})
  return true
}

/** Inside a `describe`: the same, for the tests that start a `redis-server` of their own. */
export const skippedWithoutRedisServer = (): boolean => {
  if (existsSync(redisServer)) return false
  it.skip(`${redisServer} is not installed, so RedisLimiter's reconnection was not tested`, () => {})
  return true
}

/**
 * A maker of key prefixes unique to this run, whose keys are deleted once
 * the test file's tests are done. Call it at the top of a test file.
 */
export const cleanedPrefixes = (): (name: string) => string => {
  const prefixes: Array<string> = []
  afterAll(async () => {
    if (redisUp) await Promise.all(prefixes.map((prefix) => cleanKeys(prefix)))
  })
  return (name) => {
    const prefix = uniquePrefix(name)
    prefixes.push(prefix)
    return prefix
  }
}
