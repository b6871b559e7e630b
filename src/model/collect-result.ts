/** What a live collection did: files written, failures, throttling. Plain data shared by ingest/ and report/. */
export interface CollectResult {
  /** The snapshot folder written. */
  out: string;
  region: string;
  context?: string;
  /** Files written, with the number of items each holds. */
  written: { file: string; call: string; items: number; pages: number }[];
  /** Calls that failed (collection went on without them). */
  failures: { call: string; error: string }[];
  /** Throttling responses AWS sent that the SDK retried. */
  throttled: number;
  /** Commands that dump each node's state into nodes/<name>/ (run them where kubectl works). */
  nodeDumpCommands: string[];
  /**
   * Commands for what collect does not fetch itself: `aws eks describe-cluster`
   * (the Service CIDR) for each EKS cluster the instances' tags name.
   */
  extraCommands: string[];
}
