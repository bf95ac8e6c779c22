/**
 * The JSON records the simulated marketplace puts on the wire, spelled and in the units vast.ai
 * uses: MB for `gpu_ram`, `gpu_total_ram` and `cpu_ram`, GB for `disk_space`, GB/s for
 * `gpu_mem_bw`, USD per hour for `dph_*`, USD per GB-month for `storage_cost`, Mbit/s for
 * `inet_*`, epoch seconds for dates.
 */

export interface VastOfferWire {
  id: number;
  ask_contract_id: number;
  bundle_id: number;
  machine_id: number;
  host_id: number;
  gpu_name: string;
  num_gpus: number;
  gpu_frac: number;
  gpu_ram: number;
  gpu_total_ram: number;
  gpu_mem_bw: number;
  gpu_arch: 'nvidia' | 'amd';
  compute_cap: number;
  cuda_max_good: number;
  driver_version: string;
  total_flops: number;
  dlperf: number;
  dlperf_per_dphtotal: number;
  dph_base: number;
  dph_total: number;
  min_bid: number;
  is_bid: boolean;
  storage_cost: number;
  storage_total_cost: number;
  inet_down: number;
  inet_up: number;
  inet_down_cost: number;
  inet_up_cost: number;
  reliability: number;
  reliability2: number;
  score: number;
  geolocation: string;
  disk_space: number;
  disk_bw: number;
  cpu_name: string;
  /** Base clock of `cpu_name`, GHz. */
  cpu_ghz: number;
  cpu_arch: string;
  cpu_cores: number;
  cpu_cores_effective: number;
  cpu_ram: number;
  pci_gen: number;
  pcie_bw: number;
  direct_port_count: number;
  static_ip: boolean;
  hosting_type: number;
  os_version: string;
  verified: boolean;
  /** What vast.ai's CLI shows as the offer's status: "verified" or "unverified". */
  verification: 'verified' | 'unverified';
  external: boolean;
  rentable: boolean;
  rented: boolean;
  /** Seconds the host keeps this machine listed for. */
  duration: number;
}

export type VastActualStatus =
  | 'created'
  | 'loading'
  | 'running'
  | 'stopped'
  | 'frozen'
  | 'exited'
  | 'rebooting'
  | 'unknown'
  | 'offline';

export interface VastInstanceWire {
  id: number;
  machine_id: number;
  host_id: number;
  /** Null while the instance is being provisioned. */
  actual_status: VastActualStatus | null;
  intended_status: 'running' | 'stopped';
  cur_state: 'running' | 'stopped';
  next_state: 'running' | 'stopped';
  status_msg: string | null;
  ssh_host: string | null;
  ssh_port: number | null;
  public_ipaddr: string | null;
  ports: Record<string, { HostIp: string; HostPort: string }[]>;
  dph_total: number;
  dph_base: number;
  storage_cost: number;
  /** Epoch seconds the instance was created (vast.ai's CLI shows its age from it). */
  start_date: number;
  /** Minutes since it last came up; null while it is not running. */
  uptime_mins: number | null;
  label: string | null;
  image_uuid: string;
  image_runtype: string;
  image_args: string[];
  onstart: string | null;
  gpu_name: string;
  num_gpus: number;
  gpu_ram: number;
  gpu_totalram: number;
  gpu_util: number | null;
  gpu_temp: number | null;
  cpu_util: number | null;
  cpu_cores: number;
  cpu_cores_effective: number;
  cpu_ram: number;
  reliability2: number;
  verification: 'verified' | 'unverified';
  disk_space: number;
  disk_util: number;
  /** vast.ai sends env as [name, value] pairs. */
  extra_env: [string, string][];
  geolocation: string;
  cuda_max_good: number;
  driver_version: string;
  inet_down: number;
  inet_up: number;
  is_bid: boolean;
  min_bid: number;
}

/** A key as `POST /api/v0/ssh/` answers it. */
export interface VastSshKeyWire {
  id: number;
  user_id: number;
  public_key: string;
  created_at: string;
  deleted_at: string | null;
}

/** A key as `GET /api/v0/ssh/` lists it (vast.ai's description names the text `key` there). */
export interface VastSshKeyListWire {
  id: number;
  user_id: number;
  key: string;
  created_at: string;
  deleted_at: string | null;
}

/** The error body vast.ai sends with 4xx answers. */
export interface VastErrorBody {
  success: false;
  error: string;
  msg: string;
}
