/**
 * The overload benchmark's passes: every pass runs every peak, and within a
 * peak every mode in `--modes` order (with, without, with, without), each on
 * every server in turn; then the `--db-sweep` capacities. Runs alternate so
 * that a drift of the machine hits every mode alike.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { passOrder, type Server } from "./lines.js"
import { adminQuery, type Database } from "./pg.js"
import type { RunReport } from "./report.js"
import { runOnce, type Setup } from "./run.js"

/** Waits (bounded) until the database has no queries left from the previous run. */
const settle = async (db: Database | undefined) => {
  if (db === undefined) return sleep(3000)
  for (let i = 0; i < 60; i++) {
    const [row] = await adminQuery<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    if ((row?.n ?? 0) === 0) break
    await sleep(500)
  }
  await sleep(3000)
}

/** Every run of every pass, in the order they ran. */
export const runPasses = async (setup: Setup, servers: ReadonlyArray<Server>): Promise<Array<RunReport>> => {
  const { passes, peaks, modes, sweep } = setup.options
  const { db } = setup.env
  const allRuns: Array<RunReport> = []
  // Alternate modes within each peak, in --modes order: with, without, with, without.
  for (let pass = 1; pass <= passes; pass++) {
    for (const peak of peaks) {
      for (const mode of modes) {
        // With a baseline or several lines, each mode runs once per server in a row, the order swapped every pass.
        for (const server of passOrder(servers, pass)) {
          if (allRuns.length > 0) await settle(db)
          allRuns.push(await runOnce(setup, mode, peak, pass, server))
        }
      }
      for (const capacity of sweep) {
        for (const server of passOrder(servers, pass).filter((s) => s.build === "current")) {
          await settle(db)
          allRuns.push(await runOnce(setup, "with", peak, pass, server, capacity))
        }
      }
    }
  }
  return allRuns
}
