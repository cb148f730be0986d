/**
 * A preload for the server process that writes, every second (just after
 * each whole wall-clock second), one JSON line
 * to `PROBE_FILE`: the event-loop delay, CPU and heap, and the heap left by
 * the latest major GC, so a slow endpoint can be told apart (a blocked event
 * loop, a starved process, or waiting elsewhere) and a leak seen.
 *
 *   NODE_OPTIONS="--import tsx --import ./bench/probe.ts" PROBE_FILE=out.jsonl
 *
 * `npm run soak` loads it built to plain JS (`build.ts`) with `--expose-gc`:
 * then SIGUSR2 runs a full GC and appends `{"event":"full-gc",...}` with the
 * heap left, the figure the soak compares from spike to spike.
 *
 * Heap after GC comes from `v8.GCProfiler`, which records V8's own heap
 * statistics at the end of every GC. A `PerformanceObserver` for "gc"
 * entries, or `process.memoryUsage()` read from it, would see the heap only
 * when the callback runs, after the server has allocated again: under a
 * spike, megabytes later.
 */
import * as fs from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"
import * as v8 from "node:v8"
import { isMainThread } from "node:worker_threads"

const MiB = 2 ** 20
/** The histogram times a timer of this period; the delay is what exceeds it. */
const resolutionMs = 10

const file = process.env.PROBE_FILE
// Workers (the embedded database's) inherit the preload; only the main thread reports.
if (file !== undefined && isMainThread) {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs })
  histogram.enable()
  let profiler = new v8.GCProfiler()
  profiler.start()
  let last = process.cpuUsage()
  let t = 0
  const delayMs = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs)
  const report = () => {
    // The profiler hands its records over only when stopped: one per second.
    const { statistics } = profiler.stop()
    profiler = new v8.GCProfiler()
    profiler.start()
    const majors = statistics.filter((s) => s.gcType === "MarkSweepCompact")
    const latestMajor = majors[majors.length - 1]
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    fs.appendFileSync(
      file,
      JSON.stringify({
        t: t++,
        // The whole wall-clock second the line describes: another process can place it on its own clock.
        second: Math.floor(Date.now() / 1000) - 1,
        at: Date.now(),
        loopP50Ms: delayMs(histogram.percentile(50)),
        loopP99Ms: delayMs(histogram.percentile(99)),
        loopMaxMs: delayMs(histogram.max),
        cpuPct: (cpu.user - last.user + cpu.system - last.system) / 1e4,
        heapUsedMb: memory.heapUsed / MiB,
        heapTotalMb: memory.heapTotal / MiB,
        rssMb: memory.rss / MiB,
        majorGcs: majors.length,
        // null (no major GC this second) rather than NaN, which JSON cannot hold.
        heapAfterGcMb: latestMajor === undefined ? null : latestMajor.afterGC.heapStatistics.usedHeapSize / MiB
      }) + "\n"
    )
    last = cpu
    histogram.reset()
  }
  // 5 ms after each whole wall-clock second, rather than every 1000 ms, which
  // drifts; the margin keeps a timer that fires a little early in its second.
  const untilNextSecond = () => 1005 - (Date.now() % 1000)
  const tick = () => {
    report()
    setTimeout(tick, untilNextSecond()).unref()
  }
  setTimeout(tick, untilNextSecond()).unref()

  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) {
    process.on("SIGUSR2", () => {
      // Twice: the first pass runs finalizers and weak callbacks whose garbage the second collects.
      gc()
      gc()
      fs.appendFileSync(
        file,
        JSON.stringify({
          event: "full-gc",
          at: Date.now(),
          heapUsedMb: process.memoryUsage().heapUsed / MiB,
          // Which space holds it (old_space: objects; code_space: compiled code; ...), to tell a leak from code.
          spacesMb: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size / MiB]))
        }) + "\n"
      )
    })
  }
}
