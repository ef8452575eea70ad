/** A background job: one pass does a bounded amount of work and says what it did. */
export interface Worker<Summary> {
  readonly name: string;
  runOnce(): Promise<Summary>;
  /** The running pass's summary so far (long jobs), for the job's status; undefined between passes. */
  progress?(): Summary | undefined;
}
