import { Limit } from "effect-concurrency-limiter"
import { simulate, analyze } from "./test/utils/limitSimulation.js"
const [knee, curve, initial, seedIdx, startIdx, curveIdx] = [Number(process.argv[2]), process.argv[3] as any, Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]), Number(process.argv[7])]
const base = Limit.auto({ max: 1000, ...(initial ? { initial } : {}) })
const r = simulate({ limit: base, curve, phases: [{ knee, seconds: 40 }, { knee: 2 * knee, seconds: 20 }, { knee, seconds: 20 }], seed: knee * 7919 + curveIdx * 104729 + startIdx + seedIdx * 15485863 })
console.log(JSON.stringify(analyze(r)))
console.log(r.steps.map((s) => `${(s.atMillis / 1000).toFixed(1)}:${s.limit}`).join(" ").slice(0, 3000))
