/**
 * Where the overload benchmark's runs happen: the database (a throwaway
 * PostgreSQL cluster, `DATABASE_URL`'s, or the server's embedded one), its
 * rows, and the CPU pinning. On PostgreSQL, when the machine allows it, the
 * cluster is pinned to CPU 1 and the server and this process (the load
 * generator) to CPU 0, a stand-in for a database on its own host.
 */
import { execFileSync } from "node:child_process"
import * as os from "node:os"
import type { Options } from "./options.js"
import { acquireDatabase, adminQuery, type Database, loadMessages } from "./pg.js"

/** What the runs share: the database, if not embedded, and how the processes sit on the CPUs. */
export interface Environment {
  readonly db: Database | undefined
  /** The server's CPU list, if pinned. */
  readonly serverCpus: string | undefined
  readonly pinned: boolean
  /** The summary's words on pinning. */
  readonly pinningNote: string
}

/** The database's core and the server's (and generator's), when pinned. */
const dbCpus = "1"
const appCpus = "0"

/** Why CPU pinning cannot be used here, or undefined when it can. */
const pinningUnavailable = (options: Options): string | undefined => {
  if (options.args.unpinned) return "--unpinned"
  if (os.cpus().length < 2) return `${os.cpus().length} CPU`
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
  } catch {
    return "no taskset (util-linux)"
  }
  try {
    // Both cores must be ours to use (a cpuset may allow fewer than os.cpus() shows).
    for (const cpu of [appCpus, dbCpus]) execFileSync("taskset", ["-c", cpu, "true"], { stdio: "ignore" })
  } catch {
    return `CPUs ${appCpus} and ${dbCpus} are not both available to this process`
  }
  return undefined
}

/**
 * Acquires and seeds PostgreSQL and pins the processes (`--db postgres`), or
 * notes that the embedded database needs neither. The caller stops `db`.
 */
export const prepareEnvironment = async (options: Options): Promise<Environment> => {
  const { args, parallelWorkers, seedRows } = options
  if (options.database !== "postgres") {
    const pinningNote = "no CPU pinning (the embedded database runs inside the server process)"
    console.log(`pinning: ${pinningNote}`)
    return { db: undefined, serverCpus: undefined, pinned: false, pinningNote }
  }
  const unavailable = pinningUnavailable(options)
  const db = await acquireDatabase({
    database: "ecl_bench",
    minConnections: 100,
    scratchDir: ".bench-out",
    ...(unavailable === undefined ? { pinCpus: dbCpus } : {})
  })
  console.log(`PostgreSQL: ${db.origin}, max_connections ${db.maxConnections}`)
  let serverCpus: string | undefined
  let pinned = false
  let pinningNote: string
  if (db.pinnedCpus !== undefined) {
    // The generator (this process, all its threads) shares the app's core.
    execFileSync("taskset", ["-a", "-p", "-c", appCpus, String(process.pid)], { stdio: "ignore" })
    serverCpus = appCpus
    pinned = true
    pinningNote = `PostgreSQL pinned to CPU ${db.pinnedCpus}, server and load generator to CPU ${appCpus} (taskset)`
  } else {
    pinningNote = `no CPU pinning (${unavailable ?? "the database is not a cluster started here"})`
  }
  console.log(`pinning: ${pinningNote}`)
  const started = Date.now()
  await loadMessages(db.url, seedRows)
  console.log(`messages table holds ${seedRows} rows (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  // PostgreSQL's own default (2 parallel workers per query) unless asked otherwise;
  // RESET keeps an earlier experiment from leaking into this run.
  const nice = args["db-nice"]
  if (nice !== undefined) {
    // Experiment: the database's processes (and every backend forked later,
    // which inherit it) yield the CPU to the app, as if on another host.
    if (db.postmasterPid === undefined) throw new Error("--db-nice needs the throwaway cluster")
    execFileSync("renice", ["-n", String(Number.parseInt(nice, 10)), "-p", String(db.postmasterPid)])
  }
  // One process per query (no parallel workers), like the Python
  // benchmark's one SQLite thread per request; same in both modes.
  await adminQuery(db.url, `ALTER DATABASE ecl_bench SET max_parallel_workers_per_gather = ${parallelWorkers}`)
  console.log(`PostgreSQL max_parallel_workers_per_gather = ${parallelWorkers} for ecl_bench`)
  return { db, serverCpus, pinned, pinningNote }
}
