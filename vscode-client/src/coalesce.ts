/**
 * Coalesces requests to run an async task: requests made while the task is in
 * progress join that run instead of starting another one. Used for "SST:
 * Restart Server" (several restarts requested during one restart = one restart).
 * Pure module: no `vscode` import.
 */
export class Coalescer {
  private inFlight: Promise<void> | undefined;
  private runs = 0;

  constructor(private readonly task: () => Promise<void>) {}

  /** Starts the task, or returns the run already in progress. */
  run(): Promise<void> {
    if (this.inFlight !== undefined) return this.inFlight;
    this.runs++;
    const p = (async () => {
      try {
        await this.task();
      } finally {
        this.inFlight = undefined;
      }
    })();
    this.inFlight = p;
    return p;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** How many times the task has actually been started. */
  get count(): number {
    return this.runs;
  }
}
