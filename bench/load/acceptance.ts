/**
 * The acceptance criteria, evaluated from per-second rows. Pure, so
 * the same code grades the "with" and the "without" runs.
 */
import { median, type SecondRow } from "./aggregate.js"
import type { SpikeWindow } from "./stages.js"

/** Inputs of {@link evaluate}. */
export interface AcceptanceInput {
  readonly rows: ReadonlyArray<SecondRow>
  readonly spike: SpikeWindow
  readonly limiterTimeoutMs: number
  /** Peak resident set size of the server process, MB (MiB). */
  readonly serverPeakRssMb: number
  readonly fileEndpoint?: string
  readonly messagesEndpoint?: string
  /** First second of the pre-spike baseline; earlier seconds are warm-up. */
  readonly baselineFromS?: number
  /** Seconds over which recovered throughput must hold (mean), default 5. */
  readonly sustainS?: number
}

/** One graded criterion. */
export interface Check {
  readonly id: string
  readonly criterion: string
  readonly pass: boolean
  /** The measured figure, human-readable. */
  readonly value: string
}

/** The figures behind the checks, for the summary table. */
export interface Figures {
  readonly fileBaseline: number
  readonly fileMinRatio: number
  readonly fileMinRatioAt: number
  /** The median spike second over the pre-spike median. */
  readonly fileSpikeMedianRatio: number
  /** Spike seconds under 90 % of the pre-spike median, and how many there are. */
  readonly fileSecondsBelow: number
  readonly fileSpikeSeconds: number
  /**
   * The control: pre-spike seconds under 90 % of their own median. Seconds
   * that dip with no spike at all say how much of the spike's dips is noise.
   */
  readonly fileBaselineSecondsBelow: number
  readonly fileBaselineSeconds: number
  readonly fileFailures: number
  readonly messagesBaseline: number
  readonly messagesOk: number
  readonly messagesBusy: number
  readonly messagesTimeouts: number
  readonly messagesErrors: number
  readonly busyMaxMs: number
  /**
   * Seconds from the end of the spike to the end of the first second from
   * which the 5-second mean is back at 90 %; NaN if never.
   */
  readonly recoveryS: number
  readonly serverPeakRssMb: number
}

const sum = (rows: ReadonlyArray<SecondRow>, f: (r: SecondRow) => number) => rows.reduce((a, r) => a + f(r), 0)

/**
 * Grades a run. The spike window is the ramp plus the drop, extended by one
 * limiter timeout, because requests queued at the peak are still being
 * answered for that long after the VUs are gone.
 */
export const evaluate = (input: AcceptanceInput): { readonly checks: ReadonlyArray<Check>; readonly figures: Figures } => {
  const fileName = input.fileEndpoint ?? "/file"
  const messagesName = input.messagesEndpoint ?? "/messages"
  const from = input.baselineFromS ?? 2
  const spikeStartS = Math.floor(input.spike.startMs / 1000)
  const spikeEndS = Math.ceil(input.spike.endMs / 1000)
  const spikeUntilS = spikeEndS + Math.ceil(input.limiterTimeoutMs / 1000)
  const file = input.rows.filter((r) => r.endpoint === fileName)
  const messages = input.rows.filter((r) => r.endpoint === messagesName)
  const beforeSpike = (rows: ReadonlyArray<SecondRow>) => rows.filter((r) => r.t >= from && r.t < spikeStartS)
  const baseline = (rows: ReadonlyArray<SecondRow>) => median(beforeSpike(rows).map((r) => r.ok))

  const fileBaseline = baseline(file)
  const fileBefore = beforeSpike(file)
  const fileSpike = file.filter((r) => r.t >= spikeStartS && r.t < spikeUntilS)
  const below = (rows: ReadonlyArray<SecondRow>) => rows.filter((r) => r.ok < 0.9 * fileBaseline).length
  let fileMinRatio = Number.POSITIVE_INFINITY
  let fileMinRatioAt = Number.NaN
  for (const r of fileSpike) {
    const ratio = r.ok / fileBaseline
    if (ratio < fileMinRatio) {
      fileMinRatio = ratio
      fileMinRatioAt = r.t
    }
  }
  const fileFailures = sum(file, (r) => r.busy + r.timeouts + r.errors)

  const messagesBaseline = baseline(messages)
  // "Back" must last: the mean of the second and the next four is at 90 %.
  // At ~10 requests/s one lucky second would otherwise count as recovered,
  // and a mean (not a median) of integer counts is not defeated by ±1 jitter.
  const sustainS = input.sustainS ?? 5
  const back = messages.findIndex((r, i) =>
    r.t >= spikeEndS && i + sustainS <= messages.length &&
    sum(messages.slice(i, i + sustainS), (x) => x.ok) / sustainS >= 0.9 * messagesBaseline
  )
  const recoveryS = back < 0 ? Number.NaN : messages[back]!.t + 1 - spikeEndS
  const busyMaxMs = messages.reduce((m, r) => (r.busyMax > m ? r.busyMax : m), 0)

  const figures: Figures = {
    fileBaseline,
    fileMinRatio,
    fileMinRatioAt,
    fileSpikeMedianRatio: median(fileSpike.map((r) => r.ok)) / fileBaseline,
    fileSecondsBelow: below(fileSpike),
    fileSpikeSeconds: fileSpike.length,
    fileBaselineSecondsBelow: below(fileBefore),
    fileBaselineSeconds: fileBefore.length,
    fileFailures,
    messagesBaseline,
    messagesOk: sum(messages, (r) => r.ok),
    messagesBusy: sum(messages, (r) => r.busy),
    messagesTimeouts: sum(messages, (r) => r.timeouts),
    messagesErrors: sum(messages, (r) => r.errors),
    busyMaxMs,
    recoveryS,
    serverPeakRssMb: input.serverPeakRssMb
  }
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`
  const promptLimit = input.limiterTimeoutMs + 100
  const checks: Array<Check> = [
    {
      id: "file-errors",
      criterion: "/file: zero errors",
      pass: fileFailures === 0,
      value: `${fileFailures} failed of ${sum(file, (r) => r.requests)}`
    },
    {
      id: "file-throughput",
      criterion: "/file: every spike second ≥ 90 % of pre-spike median",
      pass: fileMinRatio >= 0.9,
      value: `min ${pct(fileMinRatio)} (t=${fileMinRatioAt} s) of ${fileBaseline}/s; spike median ` +
        `${pct(figures.fileSpikeMedianRatio)}; under the line ${figures.fileSecondsBelow} of ` +
        `${figures.fileSpikeSeconds} spike seconds (before the spike: ${figures.fileBaselineSecondsBelow} of ` +
        `${figures.fileBaselineSeconds})`
    },
    {
      id: "messages-statuses",
      criterion: "/messages: every response 200 or 503",
      pass: figures.messagesErrors === 0,
      value: `${figures.messagesOk} × 2xx, ${figures.messagesBusy} × 503, ${figures.messagesErrors} other`
    },
    {
      id: "messages-timeouts",
      criterion: "/messages: zero client timeouts",
      pass: figures.messagesTimeouts === 0,
      value: `${figures.messagesTimeouts}`
    },
    {
      id: "messages-503-prompt",
      criterion: `/messages: every 503 within ${promptLimit} ms`,
      pass: busyMaxMs <= promptLimit,
      value: figures.messagesBusy === 0 ? "no 503" : `slowest 503 ${busyMaxMs.toFixed(0)} ms`
    },
    {
      id: "recovery",
      criterion: "/messages: back to ≥ 90 % of pre-spike median (5 s mean) within 2 s of the spike's end",
      pass: recoveryS <= 2,
      value: Number.isNaN(recoveryS) ? "never" : `${recoveryS} s (baseline ${messagesBaseline}/s)`
    },
    {
      id: "rss",
      criterion: "server peak RSS < 300 MB",
      pass: input.serverPeakRssMb < 300,
      value: `${input.serverPeakRssMb.toFixed(0)} MB`
    }
  ]
  return { checks, figures }
}
