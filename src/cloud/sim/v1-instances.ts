import { SimApiError } from './api-error.ts';
import { compareRecords, matchesAll, parseFilters, type SortDirection } from './offer-query.ts';
import type { VastInstanceWire } from './wire-types.ts';

/**
 * `GET /api/v1/instances/`, vast.ai's paged instance list (its v0 list is deprecated and its CLI
 * no longer calls it): keyset pages of at most 25, an opaque `after_token` naming the last row
 * given, `select_filters` on stored columns only, `order_by`, and `select_cols`.
 */

/** vast.ai pages at most 25 instances, and reads a limit of 0 or less as 5. */
export const V1_PAGE_MAX = 25;
const V1_PAGE_WHEN_NOT_POSITIVE = 5;

/**
 * Columns kept on the contract record itself, the only ones vast.ai filters and sorts on; asking
 * for a computed one (dph_total, num_gpus) is a 400.
 */
const STORED_COLUMNS = new Set<string>([
  'id',
  'machine_id',
  'host_id',
  'actual_status',
  'intended_status',
  'cur_state',
  'next_state',
  'status_msg',
  'label',
  'gpu_name',
  'verification',
  'image_uuid',
  'image_runtype',
  'onstart',
  'start_date',
  'ssh_host',
  'ssh_port',
  'public_ipaddr',
  'disk_space',
  'is_bid',
]);

export interface V1InstancesPage {
  success: true;
  instances_found: number;
  total_instances: number;
  /** Matching instances by label across every page; unlabelled ones under "". */
  label_counts: Record<string, number>;
  next_token: string | null;
  instances: Array<Record<string, unknown>>;
}

type Order = Array<[string, SortDirection]>;

function invalidRequest(msg: string): SimApiError {
  return new SimApiError(400, 'invalid_request', msg);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A query parameter carrying URL-encoded JSON, as vast.ai's clients send them. */
function jsonParam(query: Record<string, unknown>, name: string): unknown {
  const raw = query[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw invalidRequest(`Error in query parameters: ${name} is given twice.`);
  try {
    return JSON.parse(raw);
  } catch {
    throw invalidRequest(`Error in query parameters: ${name} is not valid JSON.`);
  }
}

function pageLimit(query: Record<string, unknown>): number {
  const raw = query.limit;
  if (raw === undefined || raw === '') return V1_PAGE_MAX;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n)) {
    throw invalidRequest('Error in query parameters: limit must be a whole number.');
  }
  if (n <= 0) return V1_PAGE_WHEN_NOT_POSITIVE;
  return Math.min(n, V1_PAGE_MAX);
}

function parseOrder(raw: unknown): Order {
  const order: Order = [];
  if (raw !== undefined) {
    if (!Array.isArray(raw)) {
      throw invalidRequest(
        'Error in query parameters: order_by must be a list like [{"col":"id","dir":"asc"}].',
      );
    }
    for (const entry of raw) {
      const col = isPlainObject(entry) ? entry.col : undefined;
      if (typeof col !== 'string') {
        throw invalidRequest('Error in query parameters: every order_by entry needs a "col".');
      }
      if (!STORED_COLUMNS.has(col)) {
        throw invalidRequest(`Error in query parameters: ${col} is not a valid order_by column`);
      }
      // vast.ai reads any direction but "desc" as ascending.
      order.push([col, (entry as { dir?: unknown }).dir === 'desc' ? 'desc' : 'asc']);
    }
  }
  if (!order.some(([col]) => col === 'id')) order.push(['id', 'asc']);
  return order;
}

function parseColumns(raw: unknown): string[] | null {
  if (raw === undefined) return null;
  if (!Array.isArray(raw) || !raw.every((c) => typeof c === 'string')) {
    throw invalidRequest('Error in query parameters: select_cols must be a list of column names.');
  }
  return raw.includes('*') ? null : raw;
}

function encodeToken(row: Record<string, unknown>, order: Order): string {
  const values = Object.fromEntries(order.map(([col]) => [col, row[col] ?? null]));
  return Buffer.from(JSON.stringify({ values })).toString('base64');
}

/** The last row of the previous page, as far as the order needs it; a 400 for anything else. */
function decodeToken(token: string, order: Order): Record<string, unknown> {
  const refuse = () =>
    new SimApiError(400, 'invalid_token', 'after_token is not a token this API gave out for this order.');
  let values: unknown;
  try {
    values = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { values?: unknown }).values;
  } catch {
    throw refuse();
  }
  if (!isPlainObject(values) || !order.every(([col]) => col in values) || typeof values.id !== 'number') {
    throw refuse();
  }
  return values;
}

/** One page of the account's instances (given oldest first), as vast.ai's v1 list answers it. */
export function listInstancesPage(
  all: readonly VastInstanceWire[],
  query: Record<string, unknown>,
): V1InstancesPage {
  const limit = pageLimit(query);
  const filtersRaw = jsonParam(query, 'select_filters') ?? {};
  if (!isPlainObject(filtersRaw)) {
    throw invalidRequest('Error in query parameters: select_filters must be a JSON object.');
  }
  const filters = parseFilters(filtersRaw);
  for (const f of filters) {
    if (!STORED_COLUMNS.has(f.field)) {
      throw invalidRequest(`Error in query parameters: ${f.field} is not a valid search key`);
    }
  }
  const order = parseOrder(jsonParam(query, 'order_by'));
  const columns = parseColumns(jsonParam(query, 'select_cols'));
  const token = typeof query.after_token === 'string' && query.after_token !== '' ? query.after_token : null;
  const after = token === null ? null : decodeToken(token, order);

  const records = all as unknown as Array<Record<string, unknown>>;
  const matching = records.filter((r) => matchesAll(r, filters)).sort((a, b) => compareRecords(a, b, order));
  const rest = after === null ? matching : matching.filter((r) => compareRecords(r, after, order) > 0);
  const page = rest.slice(0, limit);
  const last = page.at(-1);

  const labelCounts: Record<string, number> = {};
  for (const r of matching) {
    const label = typeof r.label === 'string' ? r.label : '';
    labelCounts[label] = (labelCounts[label] ?? 0) + 1;
  }
  return {
    success: true,
    instances_found: page.length,
    total_instances: matching.length,
    label_counts: labelCounts,
    next_token: rest.length > limit && last ? encodeToken(last, order) : null,
    // Unknown columns come back as null, as vast.ai answers them.
    instances:
      columns === null ? page : page.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]))),
  };
}
