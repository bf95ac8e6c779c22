import type { ContainerEndpoint } from './instance-containers.ts';
import type { InstanceRecord } from './instance-record.ts';
import type { VastInstanceWire } from './wire-types.ts';

/** An instance as GET /admin/state shows it: the API's view plus what only the simulator knows. */
export interface AdminInstanceView extends VastInstanceWire {
  offer_id: number;
  destroyed: boolean;
  destroyed_at: number | null;
  host_failed: boolean;
  gpus_held: boolean;
  queued_start: boolean;
}

/**
 * The instance as vast.ai's API shows it. `endpoint` is its container's SSH endpoint, if any;
 * `now` (epoch ms) dates its uptime.
 */
export function instanceWire(
  r: InstanceRecord,
  endpoint: ContainerEndpoint | undefined,
  now: number,
): VastInstanceWire {
  const up = r.actualStatus === 'running' && endpoint !== undefined;
  const o = r.offer;
  return {
    id: r.id,
    machine_id: r.machineId,
    host_id: o.host_id,
    actual_status: r.actualStatus,
    intended_status: r.intendedStatus,
    cur_state: r.intendedStatus,
    next_state: r.intendedStatus,
    status_msg: r.statusMsg,
    ssh_host: up ? '127.0.0.1' : null,
    ssh_port: up ? endpoint.port : null,
    public_ipaddr: '127.0.0.1',
    ports: up ? { '22/tcp': [{ HostIp: '0.0.0.0', HostPort: String(endpoint.port) }] } : {},
    dph_total: r.dphTotal,
    dph_base: r.dphBase,
    storage_cost: o.storage_cost,
    start_date: r.createdAt / 1000,
    uptime_mins: up ? Math.round((now - endpoint.upSince) / 600) / 100 : null,
    label: r.label,
    image_uuid: r.image,
    image_runtype: r.runtype,
    image_args: r.args,
    onstart: r.onstart,
    gpu_name: o.gpu_name,
    num_gpus: o.num_gpus,
    gpu_ram: o.gpu_ram,
    gpu_totalram: o.gpu_total_ram,
    gpu_util: up ? 0 : null,
    gpu_temp: up ? 30 : null,
    cpu_util: up ? 0 : null,
    cpu_cores: o.cpu_cores,
    cpu_cores_effective: o.cpu_cores_effective,
    cpu_ram: o.cpu_ram,
    reliability2: o.reliability,
    verification: o.verified ? 'verified' : 'unverified',
    disk_space: r.disk,
    disk_util: 0,
    extra_env: Object.entries(r.env),
    geolocation: o.geolocation,
    cuda_max_good: o.cuda_max_good,
    driver_version: o.driver_version,
    inet_down: o.inet_down,
    inet_up: o.inet_up,
    is_bid: r.bidPrice !== null,
    min_bid: o.min_bid,
  };
}

/** The admin view of an instance shown on the wire as `wire`; `gpusHeld`: its machine's GPUs are its own. */
export function adminInstanceView(
  r: InstanceRecord,
  wire: VastInstanceWire,
  gpusHeld: boolean,
): AdminInstanceView {
  return {
    ...wire,
    offer_id: r.offerId,
    destroyed: r.destroyed,
    destroyed_at: r.destroyedAt === null ? null : Math.floor(r.destroyedAt / 1000),
    host_failed: r.hostFailed,
    gpus_held: gpusHeld,
    queued_start: r.queuedStart,
  };
}
