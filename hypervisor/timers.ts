// One-shot timers on the virtual clock (deadlines in retired instructions).
// The run loop fires due timers between time slices and idles the clock
// forward to the next deadline when every domain is blocked.

export interface Timer {
  deadline: number;
  domid: number;
  fire(): void;
}

export interface TimerQueue {
  add(t: Timer): void;
  remove(t: Timer): void;
  nextDeadline(): number | undefined;
  /** Removes and returns the timers whose deadline is at or before `now`, earliest first. */
  due(now: number): Timer[];
  cancelDomain(domid: number): void;
}

/** A sorted list: domains have a handful of timers each. */
export class Timers implements TimerQueue {
  private list: Timer[] = [];

  add(t: Timer): void {
    this.remove(t);
    let i = this.list.length;
    while (i > 0 && this.list[i - 1].deadline > t.deadline) i--;
    this.list.splice(i, 0, t);
  }

  remove(t: Timer): void {
    const i = this.list.indexOf(t);
    if (i >= 0) this.list.splice(i, 1);
  }

  nextDeadline(): number | undefined { return this.list[0]?.deadline; }

  due(now: number): Timer[] {
    let n = 0;
    while (n < this.list.length && this.list[n].deadline <= now) n++;
    return n ? this.list.splice(0, n) : [];
  }

  cancelDomain(domid: number): void { this.list = this.list.filter((t) => t.domid !== domid); }
}
