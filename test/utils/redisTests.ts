/**
 * The RedisLimiter tests' guard against a machine without Redis: they run
 * whenever 127.0.0.1:6379 answers (always in CI here) and say plainly that
 * they were skipped otherwise. Apart from `redis.ts`, which the benchmarks
 * import outside vitest.
 */
import { it } from "@effect/vitest"
import { afterAll } from "vitest"
import { cleanKeys, reachable, uniquePrefix } from "./redis.js"

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
