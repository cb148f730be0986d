/**
 * What a guard costs per call in-process, without HTTP and outside any
 * span: `Effect.void` guarded by a fixed resource and by an adaptive one
 * (`Limit.auto` held at min = max, so that every call feeds it but the limit
 * never binds), 200,000 calls in a row each, alternated over 7 rounds.
 * Prints µs per call per round and the medians.
 *
 * Usage: npx tsx bench/overhead/in-process.ts [--calls 200000] [--rounds 7]
 */
import { Effect } from "effect"
import { Limit, Limiter, Resource } from "effect-concurrency-limiter"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "200000" },
    rounds: { type: "string", default: "7" }
  }
})
const calls = Number(args.calls)
const rounds = Number(args.rounds)

const Fixed = Resource.make("Fixed", { capacity: 1_000_000 })
const Adaptive = Resource.make("Adaptive", {
  capacity: Limit.auto({ initial: 1_000_000, min: 1_000_000, max: 1_000_000 })
})

/** µs per guarded call of `guarded`, run `calls` times in a row. */
const perCall = <E, R>(guarded: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    for (let i = 0; i < calls; i++) yield* guarded
    return ((performance.now() - start) * 1_000) / calls
  })

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const main = Effect.gen(function*() {
  const fixed = Effect.void.pipe(Limiter.withResources([Fixed]))
  const adaptive = Effect.void.pipe(Limiter.withResources([Adaptive]))
  const results = { fixed: [] as Array<number>, adaptive: [] as Array<number> }
  console.log(`round | fixed µs/call | adaptive µs/call   (${calls} calls each)`)
  for (let round = 1; round <= rounds; round++) {
    // Alternated, so that neither always runs on a warmer process.
    const order = round % 2 === 1 ? (["fixed", "adaptive"] as const) : (["adaptive", "fixed"] as const)
    for (const name of order) results[name].push(yield* (name === "fixed" ? perCall(fixed) : perCall(adaptive)))
    console.log(`${String(round).padStart(5)} | ${results.fixed.at(-1)!.toFixed(2).padStart(13)} | ${results.adaptive.at(-1)!.toFixed(2).padStart(16)}`)
  }
  console.log(`\nmedian: fixed ${median(results.fixed).toFixed(2)} µs, adaptive ${median(results.adaptive).toFixed(2)} µs per guarded call`)
})

Effect.runPromise(main.pipe(Effect.provide(Limiter.layer({ timeout: "5 seconds", resources: [Fixed, Adaptive] }))))
