/**
 * Samples a child process's resident memory and CPU from /proc (Linux), the
 * machine's overall CPU, and this process's own CPU and event-loop delay —
 * the load generator must show it was not the bottleneck.
 */
import * as fs from "node:fs"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** Resident set size and its high-water mark of `pid`, in MiB (NaN once the process is gone). */
export const readRss = (pid: number): { readonly rssMb: number; readonly hwmMb: number } => {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN)
    return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 }
  } catch {
    return { rssMb: Number.NaN, hwmMb: Number.NaN }
  }
}

/** CPU seconds (user + system) used so far by `pid`. */
export const readCpuSeconds = (pid: number): number => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/**
 * CPU seconds used so far by a PostgreSQL cluster: its postmaster, the
 * postmaster's live children (backends, parallel workers), and the children
 * it has already reaped (cutime/cstime), so short-lived parallel workers
 * are not lost between samples.
 */
export const readClusterCpuSeconds = (postmasterPid: number): number => {
  try {
    const fieldsOf = (pid: number | string) => {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    }
    const main = fieldsOf(postmasterPid)
    let ticks = Number(main[11]) + Number(main[12]) + Number(main[13]) + Number(main[14])
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const fields = fieldsOf(entry)
        // Field 4 (index 1 after the command) is the parent pid.
        if (Number(fields[1]) === postmasterPid) ticks += Number(fields[11]) + Number(fields[12])
      } catch {
        // exited while we looked
      }
    }
    return ticks / TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/**
 * The main thread of `pid`: nanoseconds it ran on a CPU, and waited on a run
 * queue, runnable but not given a CPU (/proc/<pid>/schedstat; NaN where the
 * kernel does not keep it). Waiting is what CPU starvation costs the event
 * loop: a timer or a socket that is ready, and no core to run it on.
 */
export const readSchedstat = (
  pid: number
): { readonly runNs: number; readonly waitNs: number; readonly preemptions: number } => {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number)
    // Times the kernel took the CPU away while the thread still had work (/proc/<pid>/status: the main thread's).
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const preemptions = Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN)
    return { runNs: run ?? Number.NaN, waitNs: wait ?? Number.NaN, preemptions }
  } catch {
    return { runNs: Number.NaN, waitNs: Number.NaN, preemptions: Number.NaN }
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
const readMachine = (): { busy: number; total: number } => {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!
  const values = line.trim().split(/\s+/).slice(1).map(Number)
  const total = values.reduce((a, b) => a + b, 0)
  const idle = (values[3] ?? 0) + (values[4] ?? 0)
  return { busy: total - idle, total }
}

/** One sample per interval. CPU figures are in % of one core (machine: % of all cores). */
export interface ProcessSample {
  readonly t: number
  readonly serverRssMb: number
  readonly serverCpuPct: number
  readonly generatorCpuPct: number
  readonly machineCpuPct: number
  /** The database cluster's CPU (NaN when it is not ours to watch). */
  readonly dbCpuPct: number
  /** p99 event-loop delay of the generator during the interval, ms. */
  readonly generatorLoopP99Ms: number
  /** The server's main thread: ms on a CPU, and ms runnable but waiting for one, in the interval. */
  readonly serverMainRunMs: number
  readonly serverMainWaitMs: number
  /** Times the server's main thread was preempted (taken off a CPU while runnable) in the interval. */
  readonly serverMainPreemptions: number
}

/** Summary of a sampled run. */
export interface ProcessSummary {
  readonly serverPeakRssMb: number
  readonly serverMeanCpuPct: number
  readonly serverMaxCpuPct: number
  readonly generatorMeanCpuPct: number
  readonly generatorMaxCpuPct: number
  readonly generatorLoopMaxP99Ms: number
  readonly machineMeanCpuPct: number
  readonly dbMeanCpuPct: number
}

/**
 * Samples every `intervalMs` (default 250 ms, fine enough for RSS peaks) and
 * returns one-second samples on `stop`. The peak RSS also takes the kernel's
 * own high-water mark (VmHWM), so a peak between samples is not missed.
 */
export const startSampler = (pid: number, postmasterPid?: number, intervalMs = 250) => {
  const readDb = () => (postmasterPid === undefined ? Number.NaN : readClusterCpuSeconds(postmasterPid))
  let lastDb = readDb()
  const samples: Array<ProcessSample> = []
  const t0 = performance.now()
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  let peakRss = 0
  let lastAt = performance.now()
  let lastServer = readCpuSeconds(pid)
  let lastSched = readSchedstat(pid)
  let lastGenerator = process.cpuUsage()
  let lastMachine = readMachine()
  let rssThisSecond = 0
  let lastHwm = 0
  const sample = () => {
    const { hwmMb, rssMb } = readRss(pid)
    if (rssMb > peakRss) peakRss = rssMb
    if (rssMb > rssThisSecond) rssThisSecond = rssMb
    if (hwmMb > 0) lastHwm = hwmMb
  }
  const second = () => {
    const now = performance.now()
    const wall = (now - lastAt) / 1000
    const server = readCpuSeconds(pid)
    const generator = process.cpuUsage()
    const machine = readMachine()
    const db = readDb()
    const sched = readSchedstat(pid)
    samples.push({
      // Ticks come just after each whole second since t0 (below), so this is the second that just ended.
      t: Math.floor((now - t0) / 1000) - 1,
      serverRssMb: rssThisSecond,
      serverCpuPct: ((server - lastServer) / wall) * 100,
      generatorCpuPct: ((generator.user - lastGenerator.user + generator.system - lastGenerator.system) / 1e6 / wall) * 100,
      machineCpuPct: ((machine.busy - lastMachine.busy) / Math.max(1, machine.total - lastMachine.total)) * 100,
      dbCpuPct: ((db - lastDb) / wall) * 100,
      generatorLoopP99Ms: loop.percentile(99) / 1e6,
      serverMainRunMs: (sched.runNs - lastSched.runNs) / 1e6,
      serverMainWaitMs: (sched.waitNs - lastSched.waitNs) / 1e6,
      serverMainPreemptions: sched.preemptions - lastSched.preemptions
    })
    lastSched = sched
    loop.reset()
    lastAt = now
    lastServer = server
    lastGenerator = generator
    lastMachine = machine
    lastDb = db
    rssThisSecond = 0
  }
  sample()
  const fast = setInterval(sample, intervalMs)
  // 5 ms after each whole second since t0, rather than every 1000 ms: an
  // interval drifts, and a late tick rounded to the nearest second would
  // leave one second without a sample and give the next two.
  const untilNextSecond = () => 1005 - ((performance.now() - t0) % 1000)
  let slow = setTimeout(function tick() {
    second()
    slow = setTimeout(tick, untilNextSecond())
  }, untilNextSecond())
  return {
    /** The latest one-second sample, for the live table. */
    latest: (): ProcessSample | undefined => samples[samples.length - 1],
    /** Stops sampling; call before the server exits to keep its VmHWM. */
    stop: (): { readonly samples: ReadonlyArray<ProcessSample>; readonly summary: ProcessSummary } => {
      sample()
      clearInterval(fast)
      clearTimeout(slow)
      loop.disable()
      const mean = (f: (s: ProcessSample) => number) =>
        samples.length === 0 ? Number.NaN : samples.reduce((a, s) => a + f(s), 0) / samples.length
      const max = (f: (s: ProcessSample) => number) => samples.reduce((a, s) => Math.max(a, f(s)), 0)
      return {
        samples,
        summary: {
          serverPeakRssMb: Math.max(peakRss, lastHwm),
          serverMeanCpuPct: mean((s) => s.serverCpuPct),
          serverMaxCpuPct: max((s) => s.serverCpuPct),
          generatorMeanCpuPct: mean((s) => s.generatorCpuPct),
          generatorMaxCpuPct: max((s) => s.generatorCpuPct),
          generatorLoopMaxP99Ms: max((s) => s.generatorLoopP99Ms),
          machineMeanCpuPct: mean((s) => s.machineCpuPct),
          dbMeanCpuPct: mean((s) => s.dbCpuPct)
        }
      }
    }
  }
}
