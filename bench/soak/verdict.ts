/**
 * The soak's verdict (issue 13), a pure function of what each spike left:
 * every request must end 200 or 503, every spike must serve some 200s, and
 * the heap left by a full GC after the last spike may exceed the one after
 * the first by at most 10 %.
 *
 * The first spike, not the start, is the baseline: the first spike warms the
 * server up (optimised code, pools, caches), which is growth but no leak.
 */

/** What one spike left, as the verdict needs it. */
export interface SpikeOutcome {
  /** 1-based. */
  readonly spike: number
  /** How every request of the spike ended (all endpoints): `"200"`, `"503"`, `"HTTP 500"`, `"timeout"`, `"ECONNRESET"`, ... */
  readonly statuses: Readonly<Record<string, number>>
  /** Heap used after the full GC that followed the spike's tail, MiB (NaN when not measured). */
  readonly heapAfterGcMb: number
}

/** One criterion of the verdict. */
export interface Check {
  readonly criterion: string
  readonly pass: boolean
  readonly detail: string
}

/** The verdict: `pass` only if every check passes. */
export interface Verdict {
  readonly pass: boolean
  readonly checks: ReadonlyArray<Check>
  /** Heap after GC, last spike over first, minus 1 (NaN with fewer than two measured spikes). */
  readonly heapGrowth: number
}

/** The largest heap growth from the first spike to the last that passes. */
export const maxHeapGrowth = 0.1

const allowed = new Set(["200", "503"])

/** The statuses of a spike other than 200 and 503, with counts. */
export const otherStatuses = (statuses: Readonly<Record<string, number>>): Record<string, number> =>
  Object.fromEntries(Object.entries(statuses).filter(([status, n]) => !allowed.has(status) && n > 0))

const describe = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts).map(([status, n]) => `${n} × ${status}`).join(", ")

/** Judges a soak from its spikes, in order. */
export const judge = (spikes: ReadonlyArray<SpikeOutcome>, limit = maxHeapGrowth): Verdict => {
  const others = spikes
    .map((s) => ({ spike: s.spike, counts: otherStatuses(s.statuses) }))
    .filter((s) => Object.keys(s.counts).length > 0)
  const statusCheck: Check = {
    criterion: "every request ended 200 or 503",
    pass: spikes.length > 0 && others.length === 0,
    detail: spikes.length === 0
      ? "no spike ran"
      : others.length === 0
      ? `${spikes.reduce((a, s) => a + Object.values(s.statuses).reduce((b, n) => b + n, 0), 0)} requests`
      : others.map((o) => `spike ${o.spike}: ${describe(o.counts)}`).join("; ")
  }
  const idle = spikes.filter((s) => !((s.statuses["200"] ?? 0) > 0)).map((s) => s.spike)
  const servedCheck: Check = {
    criterion: "every spike served 200s",
    pass: spikes.length > 0 && idle.length === 0,
    detail: idle.length === 0 ? `${spikes.length} spikes` : `no 200 in spike ${idle.join(", ")}`
  }
  const first = spikes[0]
  const last = spikes[spikes.length - 1]
  const heapGrowth = spikes.length >= 2 ? last!.heapAfterGcMb / first!.heapAfterGcMb - 1 : Number.NaN
  const mb = (x: number) => `${x.toFixed(1)} MiB`
  const heapCheck: Check = {
    criterion: `heap after GC grew at most ${(limit * 100).toFixed(0)} % from the first spike to the last`,
    // NaN (a missing measurement, fewer than two spikes) fails: no figure, no pass.
    pass: heapGrowth <= limit,
    detail: spikes.length < 2
      ? "needs two spikes to compare"
      : !Number.isFinite(heapGrowth)
      ? `not measured (spike 1: ${mb(first!.heapAfterGcMb)}, spike ${last!.spike}: ${mb(last!.heapAfterGcMb)})`
      : `${mb(first!.heapAfterGcMb)} after spike 1, ${mb(last!.heapAfterGcMb)} after spike ${last!.spike}: ` +
        `${heapGrowth >= 0 ? "+" : ""}${(heapGrowth * 100).toFixed(1)} %`
  }
  const checks = [statusCheck, servedCheck, heapCheck]
  return { pass: checks.every((c) => c.pass), checks, heapGrowth }
}
