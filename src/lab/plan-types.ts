/**
 * The lab plan: an estate turned into namespaces, veth links, per-namespace
 * commands and services, as plain data. Built without I/O (plan.ts), applied
 * by apply.ts, stored in the state file so `lab exec/check/down` find it.
 */

/** What a namespace stands for. */
export type NsRole = 'router' | 'node' | 'pod' | 'host' | 'rds' | 'resolver' | 'igw';

/** One network namespace and everything configured inside it. */
export interface NsPlan {
  ns: string;
  role: NsRole;
  /** The estate object: VPC id, node name, pod name, instance id, RDS id. */
  ref: string;
  /** `key=value` for `sysctl -w`, set before any link is created. */
  sysctls: string[];
  /** `ip -batch` lines run after every link exists (addresses, links up, routes, rules). */
  ipBatch: string[];
  /**
   * Proxy ARP answered at once on every link (`proxy_delay` 0, set per link once
   * the links exist): a non-initial namespace has no `net.ipv4.neigh.default`,
   * so a link keeps the kernel's default, a random delay of up to 0.8 s per
   * answer to a broadcast request (neigh_proxy_process, pneigh_enqueue).
   */
  proxyArpAtOnce?: true;
  /** `ipset restore` input, restored before iptables (rules with -m set need their sets). */
  ipsets?: string;
  /** iptables-restore input, if any. */
  iptables?: string;
  /** Rules inserted after the restore: the words after `iptables`. */
  iptablesInserts: string[][];
  /**
   * A native nftables ruleset, loaded with `nft -f` (`nft -j -f` for JSON) after
   * iptables-restore and the inserts, as on an iptables-nft node where both coexist.
   */
  nft?: { ruleset: string; json: boolean };
  /** Contents of /etc/netns/<ns>/resolv.conf. */
  resolvConf: string;
  /** The address processes here send from (the flow's source address in the model). */
  address?: string;
}

/** A veth pair: created in `a` as `aDev`, its peer directly in `b` as `bDev` (never in the root namespace). */
export interface LinkPlan {
  a: string;
  aDev: string;
  b: string;
  bDev: string;
}

/** A real server the lab starts. */
export type ServicePlan =
  | { kind: 'postgres'; ns: string; rds: string; address: string; port: number }
  | { kind: 'cluster-dns'; ns: string; address: string; records: Array<{ name: string; ip: string }> }
  | { kind: 'vpc-resolver'; ns: string; vpc: string; address: string };

/** A whole lab. */
export interface LabPlan {
  /** Unique per run: `pp<6 chars>-`; every namespace name starts with it. */
  prefix: string;
  namespaces: NsPlan[];
  links: LinkPlan[];
  services: ServicePlan[];
  /** Endpoint name (`pod:default/api`, `node:n1`, `rds:db`, `instance:i-1`, `resolver:vpc-1`, `vpc:vpc-1`) -> namespace. */
  endpoints: Record<string, string>;
}

/** The state file of a running lab (/run/podpath-lab/<name>.json). */
export interface LabState {
  name: string;
  prefix: string;
  /** The estate the lab was built from (plain JSON of the validated Estate). */
  estate: unknown;
  estateFile?: string;
  plan: LabPlan;
  /** Processes the lab started: pid, namespace, what. */
  processes: Array<{ pid: number; ns: string; what: string }>;
  /** Directories the lab created (PostgreSQL data, /etc/netns/<ns>). */
  dirs: string[];
  createdAt: string;
}

/**
 * The lab probes flows in parallel, so one host may refuse several UDP probes
 * within a second; the kernel rate-limits the ICMP errors it sends to one peer
 * (net.ipv4.icmp_ratelimit, 1000 ms with a small burst; ip-sysctl.rst), and a
 * limited "port unreachable" would make a refused flow look like a timeout.
 * 0 disables that limit, in the lab's own namespaces only.
 */
export const ICMP_NOT_RATE_LIMITED = 'net.ipv4.icmp_ratelimit=0';
