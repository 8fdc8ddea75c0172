// What a planned change makes true, for the check-mode overlay (DESIGN.md §4).
// Its own file so the overlay (engine/host/overlay.ts) and the module contract
// (engine/module-api.ts) can both name it without importing each other.

/** What a user prediction may say about an account (undefined: unchanged, or unknown for a new account). */
export interface UserFields {
  uid?: number;
  gid?: number;
  home?: string;
  shell?: string;
  comment?: string;
  /** Every group listing the user as a member, after the change. */
  groups?: string[];
  /** The shadow password field. */
  password?: string;
  /** The shadow expiry field, days since the epoch (-1: none). */
  expires?: number;
}

/** What a planned change makes true, for the check-mode overlay (DESIGN.md §4). */
export type Prediction =
  | { kind: 'file'; path: string; state: 'file'; content?: Buffer; mode?: string; owner?: string; group?: string }
  | { kind: 'file'; path: string; state: 'directory'; mode?: string; owner?: string; group?: string }
  | { kind: 'file'; path: string; state: 'link'; target: string }
  | { kind: 'file'; path: string; state: 'absent' }
  /** installRecommends: the install's recommends setting (undefined: apt's configuration), so --check can resolve dependencies as apt would. */
  | { kind: 'package'; name: string; installed: boolean; installRecommends?: boolean }
  /**
   * A user account as the change leaves it: uid/gid/exists (usermod, user), and
   * the user module's other fields (engine/facts/user-account.ts). created: the
   * account is made anew (what the host had before under that name is gone).
   */
  | ({ kind: 'user'; name: string; exists?: boolean; created?: boolean } & UserFields)
  | { kind: 'group'; name: string; gid?: number; exists?: boolean }
  | { kind: 'service'; name: string; active?: boolean; enabled?: boolean }
  | { kind: 'mount'; path: string; mounted: boolean; src?: string; fstype?: string; opts?: string }
  /** A debconf answer as `debconf-show PACKAGE` will show it (value; seen: the `*` mark). */
  | { kind: 'debconf'; package: string; question: string; value: string; seen: boolean }
  /** A Python distribution installed (version when known) or removed by pip in one environment (engine/facts/pip.ts names it). */
  | { kind: 'pip'; env: string; name: string; installed: boolean; version?: string }
  /** An OpenPGP key (16-hex-digit long id) added to or removed from an apt-key keyring ('' : apt-key's default). */
  | { kind: 'apt_key'; keyring: string; id: string; present: boolean };
