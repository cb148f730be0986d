/**
 * PostgreSQL for `npm run bench`: `DATABASE_URL` if set (used as is, not
 * pinned); else, when the machine can pin processes to cores (`taskset`, ≥ 2
 * CPUs), a throwaway cluster from the system's binaries started on its own
 * core, kept under `.bench-out/pgdata` so its data survives between runs;
 * else the local server on 127.0.0.1:5432 when it can take the benchmark's
 * 100-connection pool (not pinned: it is not ours to move); else the
 * throwaway cluster, unpinned.
 */
import { PgClient } from "@effect/sql-pg"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Layer, Redacted } from "effect"
import { onExit } from "../shared/on-exit.js"
import { freePort } from "../shared/server.js"

/** A database the benchmark can use. */
export interface Database {
  readonly url: string
  /** Where it came from, for the report. */
  readonly origin: string
  readonly maxConnections: number
  /** The cluster's postmaster, when it runs here and we know it (for CPU accounting). */
  readonly postmasterPid?: number
  /** The CPU list the cluster is pinned to (`taskset -c`), when it is. */
  readonly pinnedCpus?: string
  /** Stops the throwaway cluster, if we started one. */
  readonly stop: () => void
}

/** Runs one admin query on `url` with a single short-lived connection. */
export const adminQuery = <A extends object>(url: string, text: string): Promise<ReadonlyArray<A>> =>
  Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    return (yield* sql.unsafe<A>(text)) as ReadonlyArray<A>
  }).pipe(
    Effect.provide(
      PgClient.layer({ url: Redacted.make(url), maxConnections: 1, connectTimeout: "3 seconds" }).pipe(Layer.orDie)
    ),
    Effect.timeout("20 seconds"),
    Effect.runPromise
  )

const withDatabase = (url: string, database: string) => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** Creates `database` on the server of `adminUrl` unless it exists; returns its URL. */
export const ensureDatabase = async (adminUrl: string, database: string): Promise<string> => {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error(`bad database name ${database}`)
  const rows = await adminQuery<{ n: number }>(adminUrl, `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${database}'`)
  if ((rows[0]?.n ?? 0) === 0) await adminQuery(adminUrl, `CREATE DATABASE ${database}`)
  return withDatabase(adminUrl, database)
}

const maxConnectionsOf = async (url: string): Promise<{ max: number; used: number }> => {
  const [max] = await adminQuery<{ n: number }>(url, "SELECT current_setting('max_connections')::int AS n")
  const [used] = await adminQuery<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'")
  return { max: max?.n ?? 0, used: used?.n ?? 0 }
}

/** The newest PostgreSQL server binaries installed under /usr/lib/postgresql. */
export const findPgBin = (): string | undefined => {
  const root = "/usr/lib/postgresql"
  if (!fs.existsSync(root)) return undefined
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
  versions.sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : path.join(root, versions[0], "bin")
}

/** PostgreSQL refuses to run as root: as root, run its binaries as `postgres`. */
const asPostgres = (bin: string, args: ReadonlyArray<string>, cpus?: string) => {
  const isRoot = process.getuid?.() === 0
  const [cmd0, argv0] = isRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, [...args]]
  // Under `taskset`, the postmaster and every backend it forks inherit the affinity.
  const [cmd, argv] = cpus === undefined ? [cmd0, argv0] : ["taskset", ["-c", cpus, cmd0, ...argv0]]
  try {
    execFileSync(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 })
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ""
    throw new Error(`${path.basename(bin)} failed: ${stderr.trim()}`)
  }
}

const startThrowaway = async (dataRoot: string, minConnections: number, cpus?: string): Promise<Database> => {
  const bin = findPgBin()
  if (bin === undefined) {
    throw new Error(
      "no PostgreSQL to benchmark against: DATABASE_URL is not set, no server on 127.0.0.1:5432 can take a " +
        `${minConnections}-connection pool, and there are no server binaries under /usr/lib/postgresql/*/bin ` +
        "(initdb, pg_ctl, postgres) to start a throwaway cluster. Install the PostgreSQL server package " +
        "(e.g. `apt-get install postgresql`) or set DATABASE_URL."
    )
  }
  const data = path.resolve(dataRoot, "pgdata")
  fs.mkdirSync(data, { recursive: true })
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres:postgres", data])
  if (!fs.existsSync(path.join(data, "PG_VERSION"))) {
    asPostgres(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
  }
  const port = await freePort()
  const maxConnections = Math.max(200, minConnections + 50)
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${data}`,
    `-c max_connections=${maxConnections}`,
    // A benchmark scratch cluster: durability is not what is measured.
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off"
  ].join(" ")
  asPostgres(path.join(bin, "pg_ctl"), ["-D", data, "-l", path.join(data, "server.log"), "-o", options, "-w", "-t", "60", "start"], cpus)
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    try {
      asPostgres(path.join(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"])
    } catch {
      // already gone
    }
  }
  // Stopped with the benchmark, even when it is stopped by a signal.
  onExit(stop)
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const postmasterPid = Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n", 1)[0])
  return {
    url,
    origin: `throwaway cluster (${bin}, ${data}, port ${port})`,
    maxConnections,
    postmasterPid,
    ...(cpus === undefined ? {} : { pinnedCpus: cpus }),
    stop
  }
}

/**
 * Finds or starts a PostgreSQL able to serve `minConnections` at once and
 * returns the URL of `database` on it (created if missing).
 */
export const acquireDatabase = async (options: {
  readonly database: string
  readonly minConnections: number
  readonly scratchDir: string
  /** Pin a throwaway cluster to these cores; when set and possible, the throwaway cluster is preferred. */
  readonly pinCpus?: string
}): Promise<Database> => {
  const fromEnv = process.env.DATABASE_URL
  if (fromEnv !== undefined && fromEnv !== "") {
    const { max } = await maxConnectionsOf(fromEnv)
    if (max < options.minConnections) {
      console.warn(`warning: DATABASE_URL allows ${max} connections, the benchmark's pool wants ${options.minConnections}`)
    }
    return { url: fromEnv, origin: "DATABASE_URL", maxConnections: max, stop: () => {} }
  }
  if (options.pinCpus !== undefined && findPgBin() !== undefined) {
    const db = await startThrowaway(options.scratchDir, options.minConnections, options.pinCpus)
    const url = await ensureDatabase(db.url, options.database)
    return { ...db, url }
  }
  const local = "postgres://postgres@127.0.0.1:5432/postgres"
  try {
    const { max, used } = await maxConnectionsOf(local)
    if (max - used >= options.minConnections + 5) {
      const url = await ensureDatabase(local, options.database)
      return { url, origin: "local server 127.0.0.1:5432", maxConnections: max, stop: () => {} }
    }
    console.log(
      `local PostgreSQL on 127.0.0.1:5432 has max_connections=${max} with ${used} in use: ` +
        `too few for a ${options.minConnections}-connection pool, starting a throwaway cluster instead`
    )
  } catch {
    console.log("no PostgreSQL on 127.0.0.1:5432, starting a throwaway cluster")
  }
  const db = await startThrowaway(options.scratchDir, options.minConnections)
  const url = await ensureDatabase(db.url, options.database)
  return { ...db, url }
}

/**
 * Loads the example's `messages` rows into `url` with the example's own
 * idempotent seed loader (a no-op when the table already holds `rows`).
 */
export const loadMessages = async (url: string, rows: number): Promise<void> => {
  const { seed } = await import("../../examples/seed.js")
  await seed(rows).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }).pipe(Layer.orDie)),
    Effect.timeout("15 minutes"),
    Effect.runPromise
  )
}
