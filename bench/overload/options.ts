/**
 * The overload benchmark's command line (`main.ts` documents every option),
 * parsed and checked once, with what follows from it: which runs, where
 * their files go, the server's settings.
 */
import * as path from "node:path"
import { parseArgs } from "node:util"
import { type Line, linesOutDir, parseLines } from "./lines.js"
import { type Algorithm, type Mode, parseAlgorithm, parseModes } from "./modes.js"
import { parseSweep } from "./sweep.js"

const parse = () =>
  parseArgs({
    options: {
      demo: { type: "boolean", default: false },
      peaks: { type: "string" },
      modes: { type: "string", default: "with,without" },
      db: { type: "string" },
      out: { type: "string" },
      rows: { type: "string", default: "1000000" },
      quiet: { type: "boolean", default: false },
      scale: { type: "string", default: "1" },
      "parallel-workers": { type: "string" },
      "node-options": { type: "string" },
      "node-flags": { type: "string" },
      "heap-mb": { type: "string", default: "192" },
      "db-concurrency": { type: "string", default: "5" },
      "db-nice": { type: "string" },
      unpinned: { type: "boolean", default: false },
      passes: { type: "string", default: "1" },
      "cpu-prof": { type: "string" },
      tsx: { type: "boolean", default: false },
      "retry-after": { type: "boolean", default: false },
      algorithm: { type: "string", default: "gradient2" },
      "db-sweep": { type: "string" },
      baseline: { type: "string" },
      line: { type: "string" },
      lines: { type: "string" }
    }
  })

/** The flags as given (defaults filled in). */
export type Args = ReturnType<typeof parse>["values"]

/** The flags, and what the runs take from them. */
export interface Options {
  readonly args: Args
  readonly presetName: "full" | "demo"
  readonly database: "postgres" | "embedded"
  readonly peaks: ReadonlyArray<number>
  readonly modes: ReadonlyArray<Mode>
  /**
   * A set with `bounded` runs is published apart (its own directory and block),
   * so that it never replaces the published with/without runs.
   */
  readonly bounded: boolean
  /** Likewise a set with `adaptive` runs. */
  readonly adaptive: boolean
  readonly algorithm: Algorithm
  /** Where the set is published when `--out` is not given: docs/bench, …/unpinned, …/bounded, …/adaptive[-algorithm]. */
  readonly publishedDir: string
  readonly lines: ReadonlyArray<Line>
  /** Absolute. */
  readonly outDir: string
  readonly passes: number
  readonly seedRows: number
  readonly limiterTimeoutMs: number
  readonly clientTimeoutMs: number
  readonly parallelWorkers: number
  readonly dbConcurrency: number
  readonly fsConcurrency: number
  /** Fixed `Db` capacities also run as `with` in every pass (sweep.ts). */
  readonly sweep: ReadonlyArray<number>
  /** The server's NODE_OPTIONS ("" for none). */
  readonly nodeOptions: string
}

/** Parses `process.argv`; throws on a flag out of range. */
export const parseOptions = (): Options => {
  const { values: args } = parse()
  const presetName = args.demo ? "demo" : "full"
  const database = (args.db ?? (args.demo ? "embedded" : "postgres")) as "postgres" | "embedded"
  if (database !== "postgres" && database !== "embedded") throw new Error(`--db must be postgres or embedded`)
  const peaks = (args.peaks ?? (args.demo ? "600" : "150,600")).split(",").map(Number)
  const modes = parseModes(args.modes)
  const bounded = modes.includes("bounded")
  const adaptive = modes.includes("adaptive")
  if (bounded && adaptive) throw new Error("--modes: bounded and adaptive are published apart; run them separately")
  const algorithm = parseAlgorithm(args.algorithm)
  const publishedDir = (args.unpinned ? "docs/bench/unpinned" : "docs/bench") + (bounded ? "/bounded" : "") +
    (adaptive ? `/adaptive${algorithm === "gradient2" ? "" : `-${algorithm}`}` : "")
  const lines = parseLines(args.line, args.lines)
  const outDir = path.resolve(args.out ?? linesOutDir(lines, args.demo ? ".bench-out/demo" : publishedDir))
  const passes = Number.parseInt(args.passes, 10)
  if (!(passes >= 1 && passes <= 10)) throw new Error(`--passes must be 1 to 10, got ${args.passes}`)
  const seedRows = Number(args.rows)
  const parallelWorkers = Number.parseInt(args["parallel-workers"] ?? "0", 10)
  const dbConcurrency = Number.parseInt(args["db-concurrency"], 10)
  if (!(dbConcurrency >= 1)) throw new Error(`--db-concurrency must be a positive integer, got ${args["db-concurrency"]}`)
  const sweep = parseSweep(args["db-sweep"])
  /*
   * The server's V8 old-space budget, as a service in a container is given one.
   * Its live heap is ~55 MB; without a budget V8 lets garbage grow the heap to
   * a few hundred MB before collecting it, so RSS would say little about what
   * the server needs. Both modes alike.
   */
  const heapMb = Number.parseInt(args["heap-mb"], 10)
  const heapFlag = heapMb > 0 ? `--max-old-space-size=${heapMb}` : undefined
  const nodeOptions = [heapFlag, args["node-options"]].filter((x) => x !== undefined).join(" ")
  return {
    args,
    presetName,
    database,
    peaks,
    modes,
    bounded,
    adaptive,
    algorithm,
    publishedDir,
    lines,
    outDir,
    passes,
    seedRows,
    limiterTimeoutMs: 2000,
    clientTimeoutMs: 6000,
    parallelWorkers,
    dbConcurrency,
    fsConcurrency: 10,
    sweep,
    nodeOptions
  }
}
