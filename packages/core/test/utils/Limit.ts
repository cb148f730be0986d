/**
 * The core's limit algorithms under one name, as the Effect lines' `Limit`
 * modules show them (`Limit.aimd`, `Limit.Sample`, …), so that the tests
 * read the same in the core and in the lines.
 */
export { aimd } from "../../src/limit/aimd.js"
export { auto } from "../../src/limit/auto.js"
export { fixed } from "../../src/limit/fixed.js"
export { gradient2 } from "../../src/limit/gradient2.js"
export { isLimit, type Limit, type Sample, type Tuning, TypeId } from "../../src/limit/model.js"
export type * from "../../src/limit/options.js"
export { vegas } from "../../src/limit/vegas.js"
export { windowed } from "../../src/limit/windowed.js"
