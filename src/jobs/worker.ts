/** A background job: one pass does a bounded amount of work and says what it did. */
export interface Worker<Summary> {
  readonly name: string;
  runOnce(): Promise<Summary>;
}
