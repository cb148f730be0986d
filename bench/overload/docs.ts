/**
 * What the overload benchmark writes when its passes are done: the summary
 * (printed), `results.json` beside the runs' files and, for a published
 * PostgreSQL set of this checkout's Effect 3 line, its block of
 * docs/benchmarks.md.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Baseline, baselineTable } from "./baseline.js"
import { effect3Only, linesTable, type Server, serversNote } from "./lines.js"
import { adaptiveInitial, queueBoundFactor } from "./modes.js"
import {
  acceptanceTable,
  adaptiveSection,
  label,
  passesTable,
  queueBoundSection,
  replaceBetween,
  type RunReport,
  summaryTable
} from "./report.js"
import type { Setup } from "./run.js"
import { sweepSection } from "./sweep.js"

const machine = () => {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`
}

/** Prints the summary of `allRuns` and writes it out (see the module's comment). */
export const writeResults = (
  setup: Setup,
  servers: ReadonlyArray<Server>,
  baseline: Baseline | undefined,
  allRuns: ReadonlyArray<RunReport>
): void => {
  const { options } = setup
  const { args, adaptive, algorithm, bounded, database, dbConcurrency, fsConcurrency, lines, nodeOptions, outDir, parallelWorkers, passes, presetName, publishedDir } = options
  const { db, pinningNote } = setup.env
  const sweepBlock = sweepSection(allRuns, dbConcurrency)
  // The sweep's runs only in its own table.
  const mainRuns = allRuns.filter((r) => r.sweep === undefined)
  const runs = mainRuns.filter((r) => r.pass === passes)
  // Every pass where both ran; empty (and left out) without `bounded` (`adaptive`) runs.
  const queueBound = queueBoundSection(mainRuns)
  const adaptiveBlock = adaptiveSection(mainRuns)
  const beforeAfter = baselineTable(mainRuns, baseline)
  const byLine = linesTable(mainRuns)
  const summary = [
    `Machine: ${machine()}. Load generator: the benchmark's own process (undici, closed loop${
      args["retry-after"] ? "; a VU that gets a 503 waits its Retry-After" : ""
    }). ` +
      `Database: ${db === undefined ? "embedded PGlite (the app's default)" : `PostgreSQL (${db.origin.replace(/ \(.*/, "")}), pool 100 connections in both modes`}. ` +
      `Preset: ${presetName}. Limiter timeout 2 s, Db capacity ${args["db-concurrency"]}, Fs capacity 10, client timeout 6 s. ` +
      `${serversNote(servers)}; ${pinningNote}.` +
      (db === undefined ? "" : ` PostgreSQL max_parallel_workers_per_gather = ${parallelWorkers}.`) +
      (nodeOptions === "" ? " Server heap: V8's default budget." : ` Server NODE_OPTIONS: ${nodeOptions}.`) +
      (args["node-flags"] === undefined ? "" : ` Server node flags: ${args["node-flags"]}.`) +
      (args["db-nice"] === undefined ? "" : ` PostgreSQL reniced to ${args["db-nice"]}.`) +
      (bounded
        ? ` Queue bound (bounded runs): Db ${queueBoundFactor * dbConcurrency}, Fs ${queueBoundFactor * fsConcurrency} waiters.`
        : "") +
      (adaptive ? ` Adaptive runs: Db's capacity \`DB_LIMIT=${algorithm}\` (examples/DbCapacity.ts), started at ${adaptiveInitial}.` : ""),
    "",
    ...(queueBound === "" ? [] : [queueBound, ""]),
    ...(adaptiveBlock === "" ? [] : [adaptiveBlock, ""]),
    ...(sweepBlock === "" ? [] : [sweepBlock]),
    ...(beforeAfter === ""
      ? []
      : [`Before/after, alternated in this run (${passes} pass${passes > 1 ? "es" : ""}; medians, ranges in brackets):`, "", beforeAfter, ""]),
    ...(byLine === "" ? [] : [`The Effect lines, alternated in this run (${passes} pass${passes > 1 ? "es" : ""}; medians, ranges in brackets):`, "", byLine, ""]),
    summaryTable(runs),
    "",
    acceptanceTable(runs),
    "",
    ...(passes > 1 ? [`Every pass (${passes}), criterion by criterion:`, "", passesTable(mainRuns), ""] : []),
    ...runs.map((r) => `![${label(r)}](${path.relative("docs", r.chart)})`)
  ].join("\n")
  console.log(`\n${summary}`)
  fs.writeFileSync(
    path.join(outDir, "results.json"),
    JSON.stringify({ machine: machine(), preset: presetName, pinning: pinningNote, parallelWorkers, baseline, lines, runs: allRuns }, null, 2)
  )
  // A before/after set, or one with the Effect 4 line, is an experiment: it never replaces the published block.
  if (presetName === "full" && database === "postgres" && outDir === path.resolve(publishedDir) && baseline === undefined && effect3Only(lines)) {
    const doc = "docs/benchmarks.md"
    const before = fs.existsSync(doc) ? fs.readFileSync(doc, "utf8") : "# Overload benchmark\n"
    // bench:summary, bench:summary-unpinned, bench:summary-bounded, bench:summary-adaptive, … (-unpinned).
    const marker = `bench:summary${bounded ? "-bounded" : ""}${adaptive ? `-adaptive${algorithm === "gradient2" ? "" : `-${algorithm}`}` : ""}${
      args.unpinned ? "-unpinned" : ""
    }`
    fs.writeFileSync(doc, replaceBetween(before, marker, summary))
    console.log(`\nupdated ${doc}`)
  }
}
