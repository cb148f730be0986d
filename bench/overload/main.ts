/**
 * The overload benchmark (issue 4): a spike on /messages beside a steady
 * /file load, with and without limiting, runs alternated; optionally also
 * with limiting and a queue bound (`--modes with,bounded`).
 *
 *   npm run bench   # tsx bench/overload/main.ts            PostgreSQL, peaks 150 and 600, 151 s each
 *   npm run demo    # tsx bench/overload/main.ts --demo     embedded database, peak 600, 60 s each
 *
 * The server is the example app built to plain JavaScript (`../shared/build.ts`) and run
 * under `node`. On PostgreSQL, when the machine allows it, the throwaway
 * cluster is pinned to CPU 1 and the server and this process (the load
 * generator) to CPU 0, a stand-in for a database on its own host; parallel
 * query is off (`max_parallel_workers_per_gather = 0`). Both modes alike.
 *
 * Options: --peaks 150,600  --modes with,without  --db postgres|embedded
 *          (modes: with, without, bounded = with limiting, DB_MAX_WAITING and FS_MAX_WAITING at 2 × the
 *           capacities; a set with bounded is published apart: docs/bench/bounded, its own block in
 *           docs/benchmarks.md, and a side-by-side table of bounded against with)
 *          (adaptive = with limiting, Db's capacity an adaptive limit started at 100, --algorithm auto|gradient2|vegas|aimd
 *           (default gradient2); a set with adaptive is published apart: docs/bench/adaptive, its own block in
 *           docs/benchmarks.md, a side-by-side table of adaptive against with, and the Db capacity charted)
 *          --passes N (repeat the whole set N times; every pass is graded, the last one is charted)
 *          --db-sweep 3,8,12 (also run `with` at these fixed Db capacities in every pass, after the modes;
 *                             reported in a table of their own against adaptive: bench/overload/sweep.ts)
 *          --unpinned (no CPU pinning: database, server and generator share both cores,
 *                      as on a host that runs its own database; published in docs/bench/unpinned)
 *          --out <dir>  --quiet (no live table)  --scale 0.2 (shorter stages, smoke tests)
 *          --baseline <git-ref> (also build the server as it was at that ref, its examples/ over its src/, and run it
 *                                alternated with this checkout's in every pass: before/after from one run;
 *                                a side-by-side table; its runs' files are suffixed -baseline)
 *          --line effect3|effect4 (which Effect line's example app; default effect3)
 *          --lines effect3,effect4 (both, alternated in every pass, and a side-by-side table: lines.ts)
 *
 * The server runs with a probe (`../shared/probe.ts`, `--import`ed): its event-loop
 * delay (p50/p99/max) and GC pauses (count, total, longest, scavenges) per
 * second go beside each second's rows in the run's CSV and in a panel of
 * its chart.
 * Experiment options (the published runs use none of them):
 *          --parallel-workers N (PostgreSQL max_parallel_workers_per_gather; default 0)
 *          --tsx (run the server through tsx)
 *          --cpu-prof <dir> (the server writes a V8 CPU profile there when each run ends;
 *                            `tsx bench/shared/profile-summary.ts <file>` summarises it)
 *          --db-concurrency N (default 5)  --db-nice N (renice the throwaway cluster)  --node-options "<flags>" (the server's NODE_OPTIONS)
 *          --node-flags="<flags>" (flags on the server's node command line, for those NODE_OPTIONS refuses,
 *                                  e.g. --node-flags=--single-threaded-gc)
 *          --heap-mb N (the server's V8 old-space budget; default 192, 0 for V8's own default)
 *          --retry-after (a /messages or /file VU that gets a 503 waits its Retry-After before its next
 *                         request, as a polite client would; the original's k6 VUs retry at once)
 *
 * The code, one idea a file: options.ts (the flags), environment.ts (database,
 * seed, CPU pinning), passes.ts (the passes loop), run.ts (one run), figures.ts
 * and live.ts (its figures and live table), docs.ts (summary, results.json,
 * docs/benchmarks.md); report.ts, chart.ts, modes.ts, lines.ts, baseline.ts,
 * sweep.ts and pg.ts as their comments say.
 */
import * as path from "node:path"
import { buildScript } from "../shared/build.js"
import { writeResults } from "./docs.js"
import { prepareEnvironment } from "./environment.js"
import { prepareServers } from "./lines.js"
import { parseOptions } from "./options.js"
import { runPasses } from "./passes.js"
import type { RunReport } from "./report.js"

const main = async () => {
  const options = parseOptions()
  const { args } = options
  const { servers, baseline } = await prepareServers({ lines: options.lines, tsx: args.tsx, baselineRef: args.baseline })
  const probeModule = args.tsx
    ? path.resolve("bench/shared/probe.ts")
    : await buildScript("bench/shared/probe.ts", ".bench-out/build-probe/probe.mjs")
  const env = await prepareEnvironment(options)
  const setup = { options, env, probeModule }
  let allRuns: Array<RunReport>
  try {
    allRuns = await runPasses(setup, servers)
  } finally {
    env.db?.stop()
  }
  writeResults(setup, servers, baseline, allRuns)
}

await main()
