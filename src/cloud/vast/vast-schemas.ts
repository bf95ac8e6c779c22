import { z } from 'zod';

/**
 * The vast.ai wire shapes gpuops reads. vast.ai adds fields often and sends null for anything a
 * host has not reported, so objects keep unknown fields and every field but the id falls back to
 * null when it is missing or malformed: one odd offer must not break a whole search.
 */

/** A number, also accepted as a numeric string; anything else becomes null. */
const looseNumber = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .nullish()
  .catch(null);

const looseString = z.string().nullish().catch(null);
const looseBoolean = z.boolean().nullish().catch(null);

/** Instance and offer ids: integers, sometimes sent as strings. */
export const vastIdSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+$/).transform(Number),
]);

export const vastOfferSchema = z.looseObject({
  id: vastIdSchema,
  ask_contract_id: looseNumber,
  machine_id: looseNumber,
  host_id: looseNumber,
  gpu_name: looseString,
  num_gpus: looseNumber,
  /** MB per GPU. */
  gpu_ram: looseNumber,
  /** MB across all GPUs. */
  gpu_total_ram: looseNumber,
  cuda_max_good: looseNumber,
  dph_total: looseNumber,
  reliability: looseNumber,
  reliability2: looseNumber,
  dlperf: looseNumber,
  dlperf_per_dphtotal: looseNumber,
  inet_down: looseNumber,
  inet_up: looseNumber,
  /** "Oregon, US" */
  geolocation: looseString,
  /** GB free for the instance's disk. */
  disk_space: looseNumber,
  verified: looseBoolean,
  rentable: looseBoolean,
  rented: looseBoolean,
});
export type VastOffer = z.infer<typeof vastOfferSchema>;

const portBindingSchema = z.looseObject({
  HostIp: looseString,
  HostPort: z.union([z.string(), z.number()]).nullish().catch(null),
});

export const vastInstanceSchema = z.looseObject({
  id: vastIdSchema,
  machine_id: looseNumber,
  /** null while the machine is being prepared. */
  actual_status: looseString,
  intended_status: looseString,
  cur_state: looseString,
  next_state: looseString,
  status_msg: looseString,
  ssh_host: looseString,
  ssh_port: looseNumber,
  public_ipaddr: looseString,
  /** Docker-style port map: {"22/tcp":[{"HostIp":"0.0.0.0","HostPort":"41234"}]}. */
  ports: z.record(z.string(), z.array(portBindingSchema).nullish().catch(null)).nullish().catch(null),
  dph_total: looseNumber,
  /** USD per GB-month of its disk. */
  storage_cost: looseNumber,
  /** Epoch seconds. */
  start_date: looseNumber,
  label: looseString,
  image_uuid: looseString,
  gpu_name: looseString,
  num_gpus: looseNumber,
  disk_space: looseNumber,
});
export type VastInstance = z.infer<typeof vastInstanceSchema>;

export const vastSshKeySchema = z.looseObject({
  id: looseNumber,
  /** The field name differs between API versions. */
  public_key: looseString,
  ssh_key: looseString,
  key: looseString,
});
export type VastSshKey = z.infer<typeof vastSshKeySchema>;

/** `GET /api/v0/users/current/`: the account behind the API key; gpuops reads who and how much credit is left. */
export const vastUserSchema = z.looseObject({
  id: looseNumber,
  username: looseString,
  email: looseString,
  /** Prepaid credit, USD: what rentals draw on. */
  credit: looseNumber,
  balance: looseNumber,
});
export type VastUser = z.infer<typeof vastUserSchema>;

/** `{success:false, error:"invalid_args", msg:"..."}`; some endpoints put the text in `message`. */
export const vastErrorBodySchema = z.looseObject({
  success: looseBoolean,
  error: looseString,
  msg: looseString,
  message: looseString,
});

export const vastCreateResponseSchema = z.looseObject({
  success: looseBoolean,
  new_contract: vastIdSchema,
});

/** Comparison operators of a search filter: `{gpu_ram: {gte: 24000}}`. */
export type VastFilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'notin';
export type VastFilterValue = string | number | boolean | ReadonlyArray<string | number>;
export type VastFilter = Partial<Record<VastFilterOp, VastFilterValue>>;

/** The body of `POST /api/v0/bundles/`: field filters plus a few top-level settings. */
export interface VastSearchQuery {
  order?: Array<[field: string, direction: 'asc' | 'desc']>;
  limit?: number;
  type?: 'on-demand' | 'reserved' | 'bid';
  /** GiB of disk the price should include. */
  allocated_storage?: number;
  [field: string]: VastFilter | VastFilterValue | Array<[string, 'asc' | 'desc']> | undefined;
}

export type VastRunType = 'ssh_direct' | 'ssh_proxy' | 'ssh' | 'jupyter_direct' | 'jupyter_proxy' | 'args';

/** The body of `PUT /api/v0/asks/{offer_id}/`. */
export interface VastCreateInstanceBody {
  client_id: 'me';
  image: string;
  env: Record<string, string>;
  /** GB */
  disk: number;
  label: string;
  onstart?: string;
  runtype: VastRunType;
  /** Bid price, interruptible rentals only. */
  price?: number;
  cancel_unavail?: boolean;
  args?: string[];
}
