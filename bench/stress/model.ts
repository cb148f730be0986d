/**
 * The model check under stress: the models of test/model/ (the semaphore;
 * one resource through the guard with queue bound, FIFO/LIFO, partitions and
 * live capacity; an adaptive resource fed by a real Limit algorithm; guards
 * over several resources) driven with random commands — interruptions at
 * every stage, timeouts, failures and defects — for a total number of
 * operations, checking every invariant at every step (see each model).
 *
 *   npm run stress:model                                   # 1,000,000 operations, random seed
 *   npm run stress:model -- --ops 20000 --seed 42          # shorter, reproducible
 *   npm run stress:model -- --model guard --model semaphore   # or --model all (the default)
 *   npm run stress:model -- --max-minutes 10               # stop early (exits 1 if short of target)
 *   npm run stress:model -- --replay guard:123:4:0:1       # replay one failure: model:seed:path
 *
 * Prints the seed first, progress every ~10 s, then per model the runs,
 * operations, seconds and operations per second, and the total. On a
 * failure it prints the model, the round's seed, fast-check's path, the
 * shrunk counterexample and the error, with how to replay it here and how
 * to pin it in `npm test` (test/stress-model.test.ts); it exits 1.
 */
import { parseArgs } from "node:util"
import { type ModelName, modelNames, type ModelReport, replay, stress } from "../../test/model/stress.js"

const { values: args } = parseArgs({
  options: {
    ops: { type: "string", default: "1000000" },
    seed: { type: "string" },
    model: { type: "string", multiple: true },
    "max-minutes": { type: "string", default: "30" },
    replay: { type: "string" }
  }
})

const isModel = (name: string): name is ModelName => (modelNames as ReadonlyArray<string>).includes(name)

const fail = (message: string): never => {
  console.error(message)
  process.exit(2)
}

if (args.replay !== undefined) {
  const [model, seed, ...path] = args.replay.split(":")
  if (!isModel(model) || !Number.isInteger(Number(seed))) fail(`--replay expects model:seed:path, got ${args.replay}`)
  const error = await replay(model as ModelName, Number(seed), path.join(":"))
  console.log(error === undefined ? "passes" : `fails:\n${error}`)
  process.exit(error === undefined ? 0 : 1)
}

const ops = Number(args.ops)
if (!Number.isSafeInteger(ops) || ops <= 0) fail(`--ops must be a positive integer, got ${args.ops}`)
const seed = args.seed === undefined ? (Math.random() * 2 ** 31) | 0 : Number(args.seed)
if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, got ${args.seed}`)
const selected = args.model === undefined || args.model.includes("all") ? [...modelNames] : args.model
for (const name of selected) if (!isModel(name)) fail(`--model must be one of ${modelNames.join(", ")}, all; got ${name}`)
const maxMinutes = Number(args["max-minutes"])

const format = (n: number) => n.toLocaleString("en-US")

console.log(`stress:model  seed ${seed}  target ${format(ops)} operations  models ${selected.join(", ")}`)

let lastProgress = Date.now()
const progress = (reports: ReadonlyArray<ModelReport>, elapsed: number) => {
  if (Date.now() - lastProgress < 10_000) return
  lastProgress = Date.now()
  const total = reports.reduce((sum, r) => sum + r.ops, 0)
  console.log(
    `  ${(elapsed / 1000).toFixed(0)} s  ${format(total)} operations  ` +
      reports.map((r) => `${r.model} ${format(r.ops)}/${format(r.target)}`).join("  ")
  )
}

const report = await stress({
  ops,
  seed,
  models: selected as Array<ModelName>,
  maxMillis: maxMinutes * 60_000,
  onRound: progress
})

const rows = report.models.map((r) => [
  r.model,
  format(r.runs),
  format(r.ops),
  (r.millis / 1000).toFixed(1),
  format(Math.round(r.ops / Math.max(r.millis / 1000, 1e-3)))
])
const runs = report.models.reduce((sum, r) => sum + r.runs, 0)
const total = report.models.reduce((sum, r) => sum + r.ops, 0)
rows.push([
  "total",
  format(runs),
  format(total),
  (report.millis / 1000).toFixed(1),
  format(Math.round(total / Math.max(report.millis / 1000, 1e-3)))
])
const header = ["model", "runs", "operations", "seconds", "operations/s"]
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
const line = (cells: ReadonlyArray<string>) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")
console.log()
console.log(line(header))
for (const row of rows) console.log(line(row))

if (report.failure !== undefined) {
  const { counterexample, error, model, path, seed: failedSeed } = report.failure
  console.log()
  console.log(`FAILED: ${model}, seed ${failedSeed}, path ${path} (run seed ${seed})`)
  console.log(`counterexample: ${JSON.stringify(counterexample, (_, v) => (v === Infinity ? "Infinity" : v))}`)
  console.log(error)
  console.log(
    `replay: npm run stress:model -- --replay ${model}:${failedSeed}:${path}` +
      `   pin: add { model: "${model}", seed: ${failedSeed}, path: "${path}" } to pinned in test/stress-model.test.ts`
  )
  process.exit(1)
}
if (!report.complete) {
  console.log()
  console.log(`INCOMPLETE: stopped after ${maxMinutes} minutes, ${format(total)} of ${format(ops)} operations`)
  process.exit(1)
}
console.log(`\nok: ${format(total)} operations, every invariant held at every step (seed ${seed})`)
process.exit(0)
