/**
 * The checks of a resource's numbers and queue: its capacity, the bound of
 * its queue, and the order the queue is served in.
 */
import { type Checked, invalid, valid } from "./invalid.js"

/** Capacity must be a whole number of permits, at least one. */
export const checkCapacity = (field: string, value: unknown): Checked<number> =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0
    ? valid(value)
    : invalid(field, value, "a positive safe integer")

/** A queue bound is a whole number of waiters; `Infinity` is no bound. */
export const checkMaxWaiting = (field: string, value: unknown): Checked<number> =>
  value === Infinity || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)
    ? valid(value as number)
    : invalid(field, value, "a non-negative safe integer (0: never queue), or Infinity for no bound")

/** The queue orders there are: the oldest waiter first, or the newest. */
export const checkOrder = (field: string, value: unknown): Checked<"fifo" | "lifo"> =>
  value === "fifo" || value === "lifo" ? valid(value) : invalid(field, value, "\"fifo\" or \"lifo\"")
