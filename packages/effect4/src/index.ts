/**
 * Concurrency limiting for Effect 4 HTTP services: named resources, a FIFO
 * queue, and a prompt typed `BusyError` (HTTP 503) for any request that would
 * wait longer than its timeout.
 *
 * @since 0.5.0
 */

/**
 * The error of a request that could not acquire its resources in time, and
 * its HTTP 503.
 *
 * @since 0.5.0
 */
export * as BusyError from "./BusyError.js"
