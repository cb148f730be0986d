/**
 * A small reader for the Prometheus text exposition format (0.0.4), for the
 * tests that scrape `/metrics`: enough to check values, strict enough that a
 * malformed line fails the test instead of being skipped.
 */
import { Effect } from "effect"

/** One sample: a metric name, its labels, and its value. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const nameStart = /[a-zA-Z_:]/
const nameChar = /[a-zA-Z0-9_:]/
const labelStart = /[a-zA-Z_]/
const labelChar = /[a-zA-Z0-9_]/

const escapeLabelValue = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

/**
 * The key a series has in `parse`'s map: the name, then the labels sorted by
 * name, values quoted and escaped as in the exposition format, e.g.
 * `limiter_in_use{resource="Db"}`. Sorted so that a lookup does not depend
 * on the order the exporter happens to write the labels in.
 */
export const seriesKey = (name: string, labels: Readonly<Record<string, string>> = {}): string => {
  const names = Object.keys(labels).sort()
  return names.length === 0
    ? name
    : `${name}{${names.map((label) => `${label}="${escapeLabelValue(labels[label])}"`).join(",")}}`
}

/** A sample value: a decimal float, or Go's `+Inf`, `-Inf` and `NaN`. */
const parseValue = (text: string, line: string): number => {
  if (text === "+Inf" || text === "Inf") return Infinity
  if (text === "-Inf") return -Infinity
  if (text === "NaN") return NaN
  const value = Number(text)
  if (text === "" || Number.isNaN(value)) throw new Error(`not a sample value: ${JSON.stringify(text)} in ${line}`)
  return value
}

/**
 * Parses one sample line (`name{label="value",...} value [timestamp]`),
 * character by character rather than with one regex, because label values
 * may hold any of `{`, `}`, `,`, `=`, spaces and escaped quotes.
 */
export const parseSampleLine = (line: string): Sample => {
  let i = 0
  const fail = (what: string): never => {
    throw new Error(`${what} at column ${i + 1} of ${JSON.stringify(line)}`)
  }
  const skipBlanks = () => {
    while (line[i] === " " || line[i] === "\t") i++
  }
  const identifier = (start: RegExp, rest: RegExp) => {
    const from = i
    if (i >= line.length || !start.test(line[i])) fail("expected a name")
    i++
    while (i < line.length && rest.test(line[i])) i++
    return line.slice(from, i)
  }

  skipBlanks()
  const name = identifier(nameStart, nameChar)
  const labels: Record<string, string> = {}
  skipBlanks()
  if (line[i] === "{") {
    i++
    skipBlanks()
    while (line[i] !== "}") {
      const label = identifier(labelStart, labelChar)
      skipBlanks()
      if (line[i++] !== "=") fail("expected '='")
      skipBlanks()
      if (line[i++] !== "\"") fail("expected '\"'")
      let value = ""
      for (;;) {
        if (i >= line.length) fail("unterminated label value")
        const c = line[i++]
        if (c === "\"") break
        if (c !== "\\") {
          value += c
          continue
        }
        const escaped = line[i++]
        if (escaped === "n") value += "\n"
        else if (escaped === "\\" || escaped === "\"") value += escaped
        else fail("unknown escape")
      }
      if (label in labels) fail(`duplicate label ${label}`)
      labels[label] = value
      skipBlanks()
      // A trailing comma before `}` is allowed by the format.
      if (line[i] === ",") {
        i++
        skipBlanks()
      } else if (line[i] !== "}") fail("expected ',' or '}'")
    }
    i++
  }
  const fields = line.slice(i).trim().split(/[ \t]+/)
  if (fields.length < 1 || fields.length > 2) fail("expected a value and at most a timestamp")
  if (fields.length === 2 && !/^-?\d+$/.test(fields[1])) fail("the timestamp is not an integer")
  return { name, labels, value: parseValue(fields[0], line) }
}

/**
 * Every sample in an exposition, by `seriesKey`. Comments (`# HELP`,
 * `# TYPE`, and the OpenMetrics `# UNIT` the OpenTelemetry exporter adds)
 * and blank lines are skipped; a series that appears twice is an error, as
 * it is for Prometheus.
 */
export const parse = (text: string): Map<string, number> => {
  const samples = new Map<string, number>()
  for (const line of text.split("\n")) {
    const trimmed = line.trim()
    if (trimmed === "" || trimmed.startsWith("#")) continue
    const sample = parseSampleLine(trimmed)
    const key = seriesKey(sample.name, sample.labels)
    if (samples.has(key)) throw new Error(`duplicate series ${key}`)
    samples.set(key, sample.value)
  }
  return samples
}

/**
 * The sum of the values of every series named `name` whose labels include
 * `labels`, e.g. all outcomes of `limiter_acquisitions_total` for one
 * resource. 0 when none matches, as for a counter not yet incremented.
 */
export const sumOf = (
  samples: ReadonlyMap<string, number>,
  name: string,
  labels: Readonly<Record<string, string>> = {}
): number => {
  let sum = 0
  for (const [key, value] of samples) {
    const sample = parseSampleLine(`${key} 0`)
    if (sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) sum += value
  }
  return sum
}

/**
 * `GET {baseUrl}/metrics`, parsed. Fails on any status but 200, with the
 * body in the message, so a broken exporter shows why.
 */
export const scrape = (baseUrl: string): Effect.Effect<Map<string, number>, Error> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(new URL("/metrics", baseUrl), { signal })
      const body = await response.text()
      if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}: ${body}`)
      return parse(body)
    },
    catch: (error) => error instanceof Error ? error : new Error(String(error))
  })
