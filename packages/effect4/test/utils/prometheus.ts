/**
 * A reader of the Prometheus text format, enough for the metrics tests:
 * the HELP and TYPE comments and the samples, with their labels.
 */
import { assert } from "@effect/vitest"

/** A sample line of the Prometheus text format: `name{k="v",...} value`. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** The HELP, TYPE and sample lines of a scrape (label values here need no unescaping). */
export const parseScrape = (text: string) => {
  const help = new Map<string, string>()
  const type = new Map<string, string>()
  const samples: Array<Sample> = []
  for (const line of text.split("\n")) {
    if (line === "") continue
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (comment !== null) {
      ;(comment[1] === "HELP" ? help : type).set(comment[2], comment[3])
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.isNotNull(sample, `a sample line: ${line}`)
    const labels = Object.fromEntries([...(sample![2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    samples.push({ name: sample![1], labels, value: sample![3] === "+Inf" ? Infinity : Number(sample![3]) })
  }
  return { help, type, samples }
}
