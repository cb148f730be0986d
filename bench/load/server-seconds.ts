/**
 * The server's own view of each second, from its probe (`bench/shared/probe.ts`):
 * event-loop delay and GC pauses, placed on the load run's clock so that
 * they sit beside the same second's `/file` latency in the per-second CSV
 * and chart. A slow `/file` second with a long loop delay is a blocked
 * server; with a short one, the time went elsewhere (the database, the CPU
 * the server was not given, the generator).
 */
import { median } from "./aggregate.js"
import type { SpikeWindow } from "./stages.js"

/** One second of the server, as its probe saw it. NaN is "no sample". */
export interface ServerSecond {
  readonly t: number
  /** Event-loop delay over the second (beyond the histogram's 10 ms timer), ms. */
  readonly loopP50Ms: number
  readonly loopP99Ms: number
  readonly loopMaxMs: number
  /** GC pauses that started in the second: how many, their total and the longest, ms. */
  readonly gcCount: number
  readonly gcPauseMs: number
  readonly gcMaxPauseMs: number
  /** The part of `gcPauseMs` spent in scavenges (young generation). */
  readonly scavengeMs: number
  /** `heapUsed` at the end of the second (garbage included), MiB. */
  readonly heapUsedMb: number
  /**
   * Where the server's resident memory sits at the end of the second, MiB:
   * the whole process (`rss`), what V8's heap has reserved (`heapTotal`),
   * of it the young generation's semi-spaces and the old space, and the
   * memory outside the heap that JS objects hold (`external`: buffers).
   */
  readonly rssMb: number
  readonly heapTotalMb: number
  readonly newSpaceMb: number
  readonly oldSpaceMb: number
  readonly externalMb: number
}

/** Columns of {@link ServerSecond} after `t`, in CSV order. */
export const serverColumns = [
  "loopP50Ms",
  "loopP99Ms",
  "loopMaxMs",
  "gcCount",
  "gcPauseMs",
  "gcMaxPauseMs",
  "scavengeMs",
  "heapUsedMb",
  "rssMb",
  "heapTotalMb",
  "newSpaceMb",
  "oldSpaceMb",
  "externalMb"
] as const satisfies ReadonlyArray<keyof ServerSecond>

/** One line of the probe's file, as far as this module reads it. */
interface ProbeLine {
  readonly second: number
  readonly loopP50Ms: number
  readonly loopP99Ms: number
  readonly loopMaxMs: number
  readonly heapUsedMb: number
  readonly gcCount?: number
  readonly gcPauseMs?: number
  readonly gcMaxPauseMs?: number
  readonly scavengeMs?: number
  readonly rssMb?: number
  readonly heapTotalMb?: number
  readonly externalMb?: number
  readonly spacesMb?: Readonly<Record<string, number>>
}

/**
 * Reads the probe's per-second lines (a line cut short by a concurrent write
 * is skipped) and places them on the run's clock: `wallSecond0` is the
 * wall-clock second (Unix time, s) the run's second 0 is. The benchmark
 * starts its load on a whole wall-clock second, so the two clocks agree to a
 * few milliseconds. Seconds outside the run are left out.
 */
export const serverSecondsFromProbe = (text: string, wallSecond0: number, seconds: number): Array<ServerSecond> => {
  const out: Array<ServerSecond> = []
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue
    let value: ProbeLine
    try {
      value = JSON.parse(line) as ProbeLine
    } catch {
      continue
    }
    if (typeof value.second !== "number") continue
    const t = value.second - wallSecond0
    if (t < 0 || t >= seconds) continue
    out.push({
      t,
      loopP50Ms: value.loopP50Ms,
      loopP99Ms: value.loopP99Ms,
      loopMaxMs: value.loopMaxMs,
      gcCount: value.gcCount ?? Number.NaN,
      gcPauseMs: value.gcPauseMs ?? Number.NaN,
      gcMaxPauseMs: value.gcMaxPauseMs ?? Number.NaN,
      scavengeMs: value.scavengeMs ?? Number.NaN,
      heapUsedMb: value.heapUsedMb,
      rssMb: value.rssMb ?? Number.NaN,
      heapTotalMb: value.heapTotalMb ?? Number.NaN,
      newSpaceMb: value.spacesMb?.new_space ?? Number.NaN,
      oldSpaceMb: value.spacesMb?.old_space ?? Number.NaN,
      externalMb: value.externalMb ?? Number.NaN
    })
  }
  return out.sort((a, b) => a.t - b.t)
}

/** The server's figures over the pre-spike seconds and over the spike (as acceptance's window). */
export interface ServerFigures {
  /** Median over the pre-spike seconds of the per-second loop p99, ms. */
  readonly loopP99BeforeMs: number
  /** Median and worst per-second loop p99 over the spike, ms. */
  readonly loopP99SpikeMedianMs: number
  readonly loopP99SpikeWorstMs: number
  /** The longest single loop delay in the spike, ms. */
  readonly loopMaxSpikeMs: number
  /** Spike seconds whose loop p99 is over 50 ms, and how many spike seconds have a probe line. */
  readonly spikeSecondsOver50Ms: number
  readonly spikeSeconds: number
  /** GC pause per spike second: median and worst, ms; the longest single pause. */
  readonly gcPerSpikeSecondMedianMs: number
  readonly gcPerSpikeSecondWorstMs: number
  readonly gcMaxPauseSpikeMs: number
  /** Scavenges' share of the spike's GC time. */
  readonly scavengeShare: number
}

const maxOf = (values: ReadonlyArray<number>) => {
  const finite = values.filter(Number.isFinite)
  return finite.length === 0 ? Number.NaN : Math.max(...finite)
}

/** Sums up a run's server seconds; the spike window is acceptance's (ramp and drop, plus the limiter timeout). */
export const serverFigures = (
  seconds: ReadonlyArray<ServerSecond>,
  spike: SpikeWindow,
  limiterTimeoutMs: number,
  baselineFromS = 2
): ServerFigures => {
  const startS = Math.floor(spike.startMs / 1000)
  const untilS = Math.ceil(spike.endMs / 1000) + Math.ceil(limiterTimeoutMs / 1000)
  const before = seconds.filter((s) => s.t >= baselineFromS && s.t < startS)
  const during = seconds.filter((s) => s.t >= startS && s.t < untilS)
  const gcTotal = during.reduce((a, s) => a + (Number.isFinite(s.gcPauseMs) ? s.gcPauseMs : 0), 0)
  const scavenge = during.reduce((a, s) => a + (Number.isFinite(s.scavengeMs) ? s.scavengeMs : 0), 0)
  return {
    loopP99BeforeMs: median(before.map((s) => s.loopP99Ms)),
    loopP99SpikeMedianMs: median(during.map((s) => s.loopP99Ms)),
    loopP99SpikeWorstMs: maxOf(during.map((s) => s.loopP99Ms)),
    loopMaxSpikeMs: maxOf(during.map((s) => s.loopMaxMs)),
    spikeSecondsOver50Ms: during.filter((s) => s.loopP99Ms > 50).length,
    spikeSeconds: during.length,
    gcPerSpikeSecondMedianMs: median(during.map((s) => s.gcPauseMs).filter(Number.isFinite)),
    gcPerSpikeSecondWorstMs: maxOf(during.map((s) => s.gcPauseMs)),
    gcMaxPauseSpikeMs: maxOf(during.map((s) => s.gcMaxPauseMs)),
    scavengeShare: gcTotal === 0 ? Number.NaN : scavenge / gcTotal
  }
}

/** One line for the console: the loop and GC over the spike. */
export const serverFiguresLine = (f: ServerFigures): string =>
  `server event-loop p99 before ${f.loopP99BeforeMs.toFixed(1)} ms; spike seconds median ${f.loopP99SpikeMedianMs.toFixed(1)} ms, ` +
  `worst ${f.loopP99SpikeWorstMs.toFixed(0)} ms, longest delay ${f.loopMaxSpikeMs.toFixed(0)} ms, ` +
  `${f.spikeSecondsOver50Ms} of ${f.spikeSeconds} spike seconds over 50 ms; ` +
  `GC per spike second median ${f.gcPerSpikeSecondMedianMs.toFixed(0)} ms, worst ${f.gcPerSpikeSecondWorstMs.toFixed(0)} ms, ` +
  `longest pause ${f.gcMaxPauseSpikeMs.toFixed(1)} ms, scavenges ${(f.scavengeShare * 100).toFixed(0)} % of it`
