/**
 * A preload for the server process that writes, every second (just after
 * each whole wall-clock second), one JSON line
 * to `PROBE_FILE`: the event-loop delay, CPU and heap, the heap left by
 * the latest major GC, and the GC pauses of the second (count, total, the
 * longest, and the scavenges' share), so a slow endpoint can be told apart
 * (a blocked event loop, a GC pause, a starved process, or waiting
 * elsewhere) and a leak seen. The overload benchmark and the soak load it.
 *
 *   NODE_OPTIONS="--import tsx --import ./bench/shared/probe.ts" PROBE_FILE=out.jsonl
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
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks"
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
  // GC pauses by the whole wall-clock second they started in: an entry is
  // delivered after its GC, possibly in the next second, and lands in its own.
  interface Pauses {
    count: number
    totalMs: number
    maxMs: number
    scavengeMs: number
  }
  const pauses = new Map<number, Pauses>()
  const noteGc = (entry: { readonly startTime: number; readonly duration: number }) => {
    const second = Math.floor((performance.timeOrigin + entry.startTime) / 1000)
    let p = pauses.get(second)
    if (p === undefined) {
      p = { count: 0, totalMs: 0, maxMs: 0, scavengeMs: 0 }
      pauses.set(second, p)
    }
    p.count++
    p.totalMs += entry.duration
    if (entry.duration > p.maxMs) p.maxMs = entry.duration
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) p.scavengeMs += entry.duration
  }
  const gcObserver = new PerformanceObserver((list) => list.getEntries().forEach(noteGc))
  gcObserver.observe({ entryTypes: ["gc"] })
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
    // Entries of GCs that ended since the observer's last delivery.
    gcObserver.takeRecords().forEach(noteGc)
    const second = Math.floor(Date.now() / 1000) - 1
    const paused = pauses.get(second) ?? { count: 0, totalMs: 0, maxMs: 0, scavengeMs: 0 }
    for (const s of pauses.keys()) if (s <= second) pauses.delete(s)
    fs.appendFileSync(
      file,
      JSON.stringify({
        t: t++,
        // The whole wall-clock second the line describes: another process can place it on its own clock.
        second,
        at: Date.now(),
        loopP50Ms: delayMs(histogram.percentile(50)),
        loopP99Ms: delayMs(histogram.percentile(99)),
        loopMaxMs: delayMs(histogram.max),
        cpuPct: (cpu.user - last.user + cpu.system - last.system) / 1e4,
        heapUsedMb: memory.heapUsed / MiB,
        heapTotalMb: memory.heapTotal / MiB,
        rssMb: memory.rss / MiB,
        // Memory outside V8's heap held by JS objects (Buffers, sockets' buffers), and how much of it is ArrayBuffers.
        externalMb: memory.external / MiB,
        arrayBuffersMb: memory.arrayBuffers / MiB,
        // What each heap space has reserved (committed, not used): the young
        // generation grows its semi-spaces under a high allocation rate, and
        // that growth is RSS the live heap does not show.
        spacesMb: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size / MiB])),
        majorGcs: majors.length,
        // null (no major GC this second) rather than NaN, which JSON cannot hold.
        heapAfterGcMb: latestMajor === undefined ? null : latestMajor.afterGC.heapStatistics.usedHeapSize / MiB,
        gcCount: paused.count,
        gcPauseMs: paused.totalMs,
        gcMaxPauseMs: paused.maxMs,
        scavengeMs: paused.scavengeMs
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
