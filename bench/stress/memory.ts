/**
 * The server's footprint over a run: resident memory (`../shared/procstat.ts`) and
 * open file descriptors, sampled every `intervalMs`. The descriptor count
 * shows, from the server's side, how many connections it really held.
 */
import * as fs from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { readRss } from "../shared/procstat.js"

/** Open file descriptors of `pid` (NaN once it is gone). */
export const readFdCount = (pid: number): number => {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length
  } catch {
    return Number.NaN
  }
}

/** Samples `pid` until stopped; `peak` covers everything since start (or the last `reset`). */
export const sampleFootprint = (pid: number, intervalMs = 200) => {
  let peakRssMb = 0
  let peakFds = 0
  let samples = 0
  const sample = () => {
    const { rssMb } = readRss(pid)
    if (rssMb > peakRssMb) peakRssMb = rssMb
    const fds = readFdCount(pid)
    if (fds > peakFds) peakFds = fds
    samples++
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    peak: () => ({ rssMb: peakRssMb, fds: peakFds, samples }),
    reset: () => {
      peakRssMb = 0
      peakFds = 0
      samples = 0
      sample()
    },
    stop: () => clearInterval(timer)
  }
}

/**
 * Waits (every 250 ms, at most `timeoutMs`) for `pid`'s RSS to fall to
 * `targetMb`; returns the last reading and how long it took.
 */
export const waitForRss = async (pid: number, targetMb: number, timeoutMs: number) => {
  const start = Date.now()
  for (;;) {
    const { rssMb } = readRss(pid)
    if (rssMb <= targetMb || Date.now() - start >= timeoutMs) return { rssMb, afterMs: Date.now() - start, met: rssMb <= targetMb }
    await sleep(250)
  }
}
