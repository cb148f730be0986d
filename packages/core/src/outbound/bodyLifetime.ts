/**
 * How long a limited response's body keeps its call's permits: from the
 * headers until it has been read to its end, or until nobody has started
 * to read it `unreadBodyTimeout` after they arrived, or until the scope
 * that holds the permits closes, whichever comes first. Each Effect line
 * keeps the permits in its own `Scope` and runs the timer as its own
 * fiber; this is the bookkeeping of which of the three ends comes first.
 */

/**
 * Where a body stands: nobody has started to read it (the unread timer
 * runs), a read holds the permits until it ends, or the permits are back.
 */
export type BodyState = "unread" | "reading" | "released"

/**
 * The lifetime of one body that holds its call's permits. Not a lock: a
 * line calls it from its own fibers, each call synchronous.
 */
export class BodyLifetime {
  private current: BodyState = "unread"
  private stopTimer: (() => void) | undefined = undefined

  /** Where the body stands now. */
  get state(): BodyState {
    return this.current
  }

  /** The unread timer, once started, and how to stop it: a read or the release stops it. */
  timerStarted(stop: () => void): void {
    this.stopTimer = stop
  }

  /**
   * A read begins. `true` for the first read of an unread body: it now holds
   * the permits until it ends, and the unread timer stops. `false` when an
   * earlier read holds them or they are already back: this read holds
   * nothing.
   */
  claim(): boolean {
    if (this.current !== "unread") return false
    this.current = "reading"
    this.stopTimer?.()
    return true
  }

  /**
   * The unread timer fired. `true` when nobody has started to read: the
   * permits go back now (the body stays readable, without them).
   */
  expire(): boolean {
    if (this.current !== "unread") return false
    this.current = "released"
    return true
  }

  /** The permits went back, however (read to the end, expired, the scope closed): the timer stops. */
  released(): void {
    this.current = "released"
    this.stopTimer?.()
  }
}
