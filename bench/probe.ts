/**
 * A diagnostic preload for the server process (not used by the published
 * runs): `NODE_OPTIONS="--import tsx --import ./bench/probe.ts" PROBE_FILE=out.jsonl`.
 * Every second it appends the server's event-loop delay, CPU and heap, so a
 * slow endpoint can be told apart: a blocked event loop, a starved process,
 * or waiting elsewhere.
 */
import * as fs from "node:fs"
import { monitorEventLoopDelay } from "node:perf_hooks"

const file = process.env.PROBE_FILE
if (file !== undefined) {
  const histogram = monitorEventLoopDelay({ resolution: 10 })
  histogram.enable()
  let last = process.cpuUsage()
  let t = 0
  const timer = setInterval(() => {
    const cpu = process.cpuUsage()
    const memory = process.memoryUsage()
    fs.appendFileSync(
      file,
      JSON.stringify({
        t: t++,
        loopP50Ms: histogram.percentile(50) / 1e6,
        loopP99Ms: histogram.percentile(99) / 1e6,
        loopMaxMs: histogram.max / 1e6,
        cpuPct: (cpu.user - last.user + cpu.system - last.system) / 1e4,
        heapUsedMb: memory.heapUsed / 2 ** 20,
        heapTotalMb: memory.heapTotal / 2 ** 20,
        rssMb: memory.rss / 2 ** 20
      }) + "\n"
    )
    last = cpu
    histogram.reset()
  }, 1000)
  timer.unref()
}
