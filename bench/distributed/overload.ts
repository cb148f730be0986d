/**
 * The overload scenario on four replicas (issue 12, part of
 * `npm run bench:distributed`): four processes of the example app over one
 * PostgreSQL, the load generator spreading its VUs over them, run twice:
 *
 * - `redis`: `LIMITER_REDIS_URL` set, so the four share one `Db` capacity of
 *   5 (and `Fs` of 10) through Redis;
 * - `local`: the in-process `Limiter.layer` on each, 5 each: 20 together,
 *   what the issue starts from.
 *
 * PostgreSQL's own view is sampled every 100 ms: the app's queries running
 * at that moment (`pg_stat_activity`, `application_name = 'ecl-example'`,
 * `state = 'active'`, client backends: a parallel query's workers would count
 * twice). With Redis the count must never exceed 5.
 *
 * PostgreSQL: `BENCH_DATABASE_URL`, default
 * postgres://postgres@127.0.0.1:5432/test (the app seeds `messages` there on
 * its first start). Skipped, with a plain message, when it is unreachable.
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Fiber, Layer, Redacted, Schedule } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { cleanKeys } from "../../test/utils/redis.js"
import { buildServer } from "../shared/build.js"
import { freePort, type ServerHandle, startServer } from "../shared/server.js"

interface Options {
  readonly redisUrl: string
  readonly out: string
  readonly seconds?: number
  readonly vus?: number
}

/** What one replica answered. */
interface ReplicaStats {
  readonly statuses: Record<string, number>
  readonly latencies: Record<string, Array<number>>
  clientTimeouts: number
}

const quantile = (samples: ReadonlyArray<number>, q: number) => {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

const timeoutMillis = 2000
const poolSize = 15

/** Closed-loop VUs, spread round-robin over the replicas, for `seconds`. */
const load = async (servers: ReadonlyArray<ServerHandle>, vus: number, seconds: number) => {
  const stats: Array<ReplicaStats> = servers.map(() => ({ statuses: {}, latencies: {}, clientTimeouts: 0 }))
  const fileRate = servers.map(() => 0)
  const endAt = Date.now() + seconds * 1000
  const vu = async (i: number, route: string) => {
    const replica = i % servers.length
    const s = stats[replica]
    while (Date.now() < endAt) {
      const start = performance.now()
      let status: string
      try {
        const response = await fetch(`${servers[replica].baseUrl}${route}`, { signal: AbortSignal.timeout(10_000) })
        await response.arrayBuffer()
        status = String(response.status)
      } catch (error) {
        status = error instanceof Error && error.name === "TimeoutError" ? "client-timeout" : "error"
        if (status === "client-timeout") s.clientTimeouts++
      }
      if (route === "/file") {
        if (status === "200") fileRate[replica]++
        continue
      }
      s.statuses[status] = (s.statuses[status] ?? 0) + 1
      ;(s.latencies[status] ??= []).push(performance.now() - start)
    }
  }
  await Promise.all([
    ...Array.from({ length: vus }, (_, i) => vu(i, "/messages")),
    // A steady side load on /file, two VUs per replica.
    ...Array.from({ length: 2 * servers.length }, (_, i) => vu(i, "/file"))
  ])
  return { stats, filePerSecond: fileRate.map((n) => n / seconds) }
}

/** Samples the app's active queries every 100 ms until interrupted. */
const sampleActive = (databaseUrl: string, samples: Array<number>) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* Effect.repeat(
      Effect.flatMap(
        sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE application_name = 'ecl-example' AND state = 'active' AND backend_type = 'client backend'`,
        (rows) => Effect.sync(() => samples.push(rows[0].n))
      ),
      Schedule.spaced("100 millis")
    )
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 1 }).pipe(Layer.orDie)),
    Effect.orDie
  )

const run = async (mode: "redis" | "local", entry: string, options: Options, databaseUrl: string) => {
  const prefix = `ecl-bench-overload-${process.pid}-${Date.now()}`
  const env = {
    DATABASE_URL: databaseUrl,
    DB_POOL_SIZE: String(poolSize),
    LIMITER_TIMEOUT: `${timeoutMillis} millis`,
    LIMITER_REDIS_URL: mode === "redis" ? options.redisUrl : undefined,
    LIMITER_REDIS_PREFIX: prefix
  }
  const start = async () =>
    startServer({ entry, port: await freePort(), env, readyPath: "/metrics", readyTimeoutMs: 600_000 })
  // The first seeds the table if needed; the others find it.
  const first = await start()
  const servers = [first, ...await Promise.all([start(), start(), start()])]
  const samples: Array<number> = []
  const sampler = Effect.runFork(sampleActive(databaseUrl, samples))
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const result = await load(servers, options.vus ?? 100, options.seconds ?? 20)
    return { mode, samples, ...result }
  } finally {
    await Effect.runPromise(Fiber.interrupt(sampler))
    await Promise.all(servers.map((s) => s.stop()))
    // The arrival counters and fence records would stay otherwise.
    if (mode === "redis") await cleanKeys(prefix, options.redisUrl)
  }
}


const reachable = (databaseUrl: string) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* sql`SELECT 1`
      return true
    }).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 1, connectTimeout: "3 seconds" })),
      Effect.timeout(Duration.seconds(5)),
      Effect.orElseSucceed(() => false)
    )
  )

const fmt = (x: number) => Number.isNaN(x) ? "–" : `${Math.round(x)} ms`

/** Runs both modes and prints their tables. */
export const overload = async (options: Options): Promise<void> => {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
  if (!(await reachable(databaseUrl))) {
    console.log(`4. Overload on four replicas: skipped, PostgreSQL was not reachable at ${databaseUrl}`)
    return
  }
  const { entry } = await buildServer(".bench-out/build-distributed")
  const seconds = options.seconds ?? 20
  const vus = options.vus ?? 100
  const runs = []
  for (const mode of ["redis", "local"] as const) runs.push(await run(mode, entry, options, databaseUrl))

  console.log(
    `4. Overload on four replicas: ${vus} VUs on /messages and 8 on /file, spread over 4 app processes, ${seconds} s, ` +
      `Db capacity 5, timeout ${timeoutMillis} ms, pool ${poolSize} per replica`
  )
  console.log("   PostgreSQL's view (active queries of the app, sampled every 100 ms):")
  console.log("   | limiter | samples | max | p50 | samples above 5 |")
  console.log("   |---|---|---|---|---|")
  for (const r of runs) {
    const above = r.samples.filter((n) => n > 5).length
    console.log(
      `   | ${r.mode === "redis" ? "RedisLimiter (one capacity of 5)" : "Limiter.layer (5 per replica)"} | ${r.samples.length} | ${
        Math.max(...r.samples)
      } | ${quantile(r.samples, 0.5)} | ${above} |`
    )
  }
  console.log("   Per replica (/messages): answers per second, and the 503's promptness (timeout + 100 ms at p99, + 250 ms at most):")
  console.log("   | limiter | replica | 200/s | 503/s | other | client timeouts | 200 p50 | 503 p50 | 503 p99 | 503 max | /file 200/s |")
  console.log("   |---|---|---|---|---|---|---|---|---|---|---|")
  for (const r of runs) {
    r.stats.forEach((s, i) => {
      const other = Object.entries(s.statuses).filter(([k]) => k !== "200" && k !== "503").reduce((a, [, n]) => a + n, 0)
      const l503 = s.latencies["503"] ?? []
      console.log(
        `   | ${r.mode} | ${i + 1} | ${((s.statuses["200"] ?? 0) / seconds).toFixed(1)} | ${
          ((s.statuses["503"] ?? 0) / seconds).toFixed(1)
        } | ${other} | ${s.clientTimeouts} | ${fmt(quantile(s.latencies["200"] ?? [], 0.5))} | ${fmt(quantile(l503, 0.5))} | ${
          fmt(quantile(l503, 0.99))
        } | ${fmt(l503.length === 0 ? NaN : Math.max(...l503))} | ${r.filePerSecond[i].toFixed(1)} |`
      )
    })
  }
  fs.mkdirSync(options.out, { recursive: true })
  fs.writeFileSync(
    path.join(options.out, "overload.json"),
    JSON.stringify(
      runs.map((r) => ({
        mode: r.mode,
        samples: r.samples,
        replicas: r.stats.map((s) => ({
          statuses: s.statuses,
          clientTimeouts: s.clientTimeouts,
          p50_200: quantile(s.latencies["200"] ?? [], 0.5),
          p99_503: quantile(s.latencies["503"] ?? [], 0.99)
        })),
        filePerSecond: r.filePerSecond
      })),
      null,
      2
    ) + "\n"
  )
}
