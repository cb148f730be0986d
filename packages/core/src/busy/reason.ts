/**
 * Why a limiter refused a request, and the message that says so.
 *
 * @since 0.5.0
 */

/**
 * Why a request was refused: its deadline passed while it waited
 * (`"timeout"`), or the resource's queue was full (`"queue-full"`), or the
 * resource's permits are held in Redis and Redis could not be reached
 * (`"unavailable"`), or its permit's lease in Redis could not be renewed in
 * time (`"lease-lost"`).
 */
export type Reason = "timeout" | "queue-full" | "unavailable" | "lease-lost"

/** Every reason, in the order of `Reason`. */
export const reasons: ReadonlyArray<Reason> = ["timeout", "queue-full", "unavailable", "lease-lost"]

/**
 * The message of the refusal of `resource` for `reason`. `waited` is how
 * long it waited, already formatted (each line formats its own `Duration`);
 * only a timeout mentions it.
 */
export const message = (resource: string, reason: Reason, waited: string): string => {
  switch (reason) {
    case "queue-full":
      return `Resource "${resource}" is busy: its queue is full`
    case "unavailable":
      return `Resource "${resource}" is busy: the limiter's Redis is unreachable`
    case "lease-lost":
      return `Resource "${resource}" is busy: its permit's lease in Redis was lost`
    default:
      // "timeout"
      return `Resource "${resource}" is busy: no permit within ${waited}`
  }
}
