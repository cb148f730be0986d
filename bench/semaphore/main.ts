/**
 * Semaphore benchmark: this project's semaphore, `Effect.makeSemaphore`, and
 * no semaphore at all, side by side in one run. Every configuration runs in a
 * fresh child process (`bench/semaphore/run.ts`) so its heap figure is its
 * own; repetitions are interleaved across variants so that noise from a
 * shared machine hits all of them alike, and the table shows medians.
 *
 *   npm run bench:semaphore                 # full run
 *   npm run bench:semaphore -- --runs 5     # more repetitions
 *   npm run bench:semaphore -- --quick      # small sizes, short window
 *
 * 1. queue: N fibers queued on 1 permit, each holding it for one `yieldNow`.
 * 2. workers: W workers looping on 5 permits with 20 ms of work, for a fixed
 *    window; forking happens before the window, interruption after it.
 *
 * `Effect.makeSemaphore` is quadratic in the queue length, so a size is
 * skipped for it once its extrapolated time exceeds `--bound` seconds.
 */
import { execFileSync } from "node:child_process"
import * as os from "node:os"
import * as path from "node:path"
import type { RunConfig, RunResult, Variant } from "./run.js"

const args = process.argv.slice(2)
const flag = (name: string): boolean => args.includes(`--${name}`)
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback
}

const quick = flag("quick")
const runs = option("runs", quick ? 1 : 3)
/** Seconds a single Effect.makeSemaphore run may be expected to take. */
const bound = option("bound", 60)
const windowMs = option("window", quick ? 2000 : 5000)
const queueSizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]
const workerSizes = quick ? [10, 600, 2_000] : [10, 600, 2_000, 10_000]
const variants: ReadonlyArray<Variant> = ["ours", "effect", "none", "chain"]
const label: Record<Variant, string> = {
  ours: "this semaphore",
  effect: "Effect.makeSemaphore",
  none: "no semaphore",
  chain: "Deferred chain (reference)"
}

const runner = path.join(import.meta.dirname, "run.ts")

const runOnce = (config: RunConfig): RunResult | string => {
  try {
    const out = execFileSync(
      process.execPath,
      ["--expose-gc", "--max-old-space-size=4096", "--import", "tsx", runner, JSON.stringify(config)],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: bound * 3 * 1000 }
    )
    const line = out.trim().split("\n").pop() ?? ""
    return JSON.parse(line) as RunResult
  } catch (error) {
    const e = error as { signal?: string; status?: number }
    return e.signal === "SIGTERM" ? `killed after ${bound * 3} s` : `failed (exit ${String(e.status)})`
  }
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

interface Row {
  readonly scenario: RunConfig["scenario"]
  readonly size: number
  readonly variant: Variant
  readonly results: ReadonlyArray<RunResult>
  readonly note?: string
}

const MB = 1024 * 1024
const fmtS = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1)

/**
 * Quadratic extrapolation of Effect's own time (queue: wall; workers: CPU)
 * from the last size it ran. Worker sizes below 100 are too small to
 * extrapolate from: they are dominated by the work, not the queue.
 */
const predictEffect = (rows: ReadonlyArray<Row>, scenario: Row["scenario"], size: number): number | undefined => {
  const last = rows.filter((r) =>
    r.scenario === scenario && r.variant === "effect" && r.results.length > 0 &&
    (scenario === "queue" || r.size >= 100)
  ).pop()
  if (last === undefined) return undefined
  const metric = scenario === "queue"
    ? median(last.results.map((r) => r.wallMs))
    : median(last.results.map((r) => r.cpuMs))
  return metric * (size / last.size) ** 2 / 1000
}

const measure = (scenario: RunConfig["scenario"], sizes: ReadonlyArray<number>, rows: Array<Row>): void => {
  for (const size of sizes) {
    const results: Record<Variant, Array<RunResult>> = { ours: [], effect: [], none: [], chain: [] }
    const notes: Partial<Record<Variant, string>> = {}
    const used = variants.filter((v) => scenario === "queue" || v !== "chain")
    const predicted = predictEffect(rows, scenario, size)
    if (predicted !== undefined && predicted > bound) {
      notes.effect = `skipped: extrapolated ≥ ${predicted.toFixed(0)} s > bound ${bound} s`
    }
    for (let run = 0; run < runs; run++) {
      for (const variant of used) {
        if (notes[variant] !== undefined) continue
        // Effect's own is slow enough that one run is already a fair median
        // of its own noise; repeating it would dominate the benchmark time.
        if (variant === "effect" && run > 0 && results.effect.some((r) => r.wallMs > 20_000)) continue
        const config: RunConfig = scenario === "queue" ? { scenario, variant, size } : { scenario, variant, size, windowMs }
        const result = runOnce(config)
        if (typeof result === "string") {
          notes[variant] = result
        } else {
          results[variant].push(result)
        }
        process.stderr.write(
          `${scenario} ${size} ${variant} run ${run + 1}: ${
            typeof result === "string" ? result : `${fmtS(result.wallMs)} s wall, ${fmtS(result.cpuMs)} s cpu`
          }\n`
        )
      }
    }
    for (const variant of used) {
      const note = notes[variant]
      rows.push(
        note === undefined
          ? { scenario, size, variant, results: results[variant] }
          : { scenario, size, variant, results: results[variant], note }
      )
    }
  }
}

const queueTable = (rows: ReadonlyArray<Row>): string => {
  const lines = [
    "| N | variant | runs | wall (s) | CPU (s) | peak heap (MB) | wall vs none | CPU vs none |",
    "|---:|---|---:|---:|---:|---:|---:|---:|"
  ]
  for (const row of rows) {
    if (row.note !== undefined && row.results.length === 0) {
      lines.push(`| ${row.size.toLocaleString("en")} | ${label[row.variant]} | 0 | ${row.note} | | | | |`)
      continue
    }
    const none = rows.find((r) => r.scenario === row.scenario && r.size === row.size && r.variant === "none")
    const wall = median(row.results.map((r) => r.wallMs))
    const cpu = median(row.results.map((r) => r.cpuMs))
    const noneWall = none && none.results.length > 0 ? median(none.results.map((r) => r.wallMs)) : NaN
    const noneCpu = none && none.results.length > 0 ? median(none.results.map((r) => r.cpuMs)) : NaN
    lines.push(
      `| ${row.size.toLocaleString("en")} | ${label[row.variant]} | ${row.results.length} | ${fmtS(wall)} | ${
        fmtS(cpu)
      } | ${(median(row.results.map((r) => r.peakHeap)) / MB).toFixed(0)} | ${(wall / noneWall).toFixed(2)}× | ${
        (cpu / noneCpu).toFixed(2)
      }× |`
    )
  }
  return lines.join("\n")
}

const workerTable = (rows: ReadonlyArray<Row>): string => {
  const lines = [
    "| W | variant | runs | window wall (s) | CPU (s) | units | CPU/unit (ms) | vs W=10 | peak heap (MB) | live heap/worker (KB) |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  ]
  const perUnit = (row: Row) => median(row.results.map((r) => r.cpuMs / Math.max(1, r.units)))
  for (const row of rows) {
    if (row.note !== undefined && row.results.length === 0) {
      lines.push(`| ${row.size.toLocaleString("en")} | ${label[row.variant]} | 0 | ${row.note} | | | | | | |`)
      continue
    }
    const base = rows.find((r) => r.variant === row.variant && r.size === Math.min(...workerSizes))
    const ratio = base && base.results.length > 0 ? perUnit(row) / perUnit(base) : NaN
    const peak = median(row.results.map((r) => r.peakHeap))
    const baseHeap = median(row.results.map((r) => r.baseHeap))
    const liveHeap = median(row.results.map((r) => r.liveHeap ?? NaN))
    lines.push(
      `| ${row.size.toLocaleString("en")} | ${label[row.variant]} | ${row.results.length} | ${
        fmtS(median(row.results.map((r) => r.wallMs)))
      } | ${fmtS(median(row.results.map((r) => r.cpuMs)))} | ${median(row.results.map((r) => r.units)).toFixed(0)} | ${
        perUnit(row).toFixed(3)
      } | ${ratio.toFixed(2)}× | ${(peak / MB).toFixed(0)} | ${((liveHeap - baseHeap) / row.size / 1024).toFixed(1)} |`
    )
  }
  return lines.join("\n")
}

const main = () => {
  const cpus = os.cpus()
  const started = new Date()
  const queueRows: Array<Row> = []
  const workerRows: Array<Row> = []
  if (!flag("workers-only")) measure("queue", queueSizes, queueRows)
  if (!flag("queue-only")) measure("workers", workerSizes, workerRows)
  const machine = `${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${
    (os.totalmem() / 1024 ** 3).toFixed(1)
  } GB RAM, ${os.platform()} ${os.release()}, Node ${process.version}, load average at end ${
    os.loadavg().map((l) => l.toFixed(1)).join(" / ")
  }`
  const out = [
    `Semaphore benchmark, ${started.toISOString()} (median of up to ${runs} runs; bound ${bound} s)`,
    "",
    `Machine: ${machine}`,
    "",
    "1. N fibers queued on 1 permit, each holding it for one yieldNow (fork to last completion)",
    "",
    queueTable(queueRows),
    "",
    `2. W workers looping on 5 permits, 20 ms of work, ${windowMs / 1000} s window`,
    "",
    workerTable(workerRows),
    ""
  ]
  process.stdout.write(out.join("\n"))
}

main()
