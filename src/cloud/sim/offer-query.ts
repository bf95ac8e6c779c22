import { invalidArgs } from './api-error.ts';

/**
 * vast.ai's search language: `{field: {op: value}}` plus a few keys that are not filters
 * (`order`, `limit`, `type`, `allocated_storage`). Parsed once per request, then applied to
 * plain records, so the same code filters offers and (with `select_filters`) instances.
 */

export const QUERY_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'notin'] as const;
export type QueryOp = (typeof QUERY_OPS)[number];

export interface Filter {
  field: string;
  op: QueryOp;
  value: unknown;
}

export type SortDirection = 'asc' | 'desc';

/** `on-demand` prices at dph; `bid` (interruptible) at the minimum bid; `reserved` as on-demand. */
export type OfferType = 'on-demand' | 'reserved' | 'bid';

export interface OfferSearch {
  filters: Filter[];
  order: [string, SortDirection][];
  limit: number;
  type: OfferType;
  /** GiB the renter means to allocate; prices storage into `dph_total`. */
  allocatedStorage: number;
}

export const DEFAULT_SEARCH_LIMIT = 64;
export const MAX_SEARCH_LIMIT = 1000;
const DEFAULT_ALLOCATED_STORAGE = 5;

/** Filters vast.ai applies unless the query names the field itself. */
const DEFAULT_FILTERS: readonly Filter[] = [
  { field: 'verified', op: 'eq', value: true },
  { field: 'external', op: 'eq', value: false },
  { field: 'rentable', op: 'eq', value: true },
  { field: 'rented', op: 'eq', value: false },
];

/** Keys of a search body that steer the search instead of filtering on a field. */
const CONTROL_KEYS = new Set([
  'order',
  'limit',
  'type',
  'allocated_storage',
  // Accepted by vast.ai and meaningless here (one bundle per machine, no column selection).
  'disable_bundling',
  'select_cols',
  'extra_ids',
  'show_incompatible',
]);

const TYPE_ALIASES: Record<string, OfferType> = {
  'on-demand': 'on-demand',
  ondemand: 'on-demand',
  reserved: 'reserved',
  bid: 'bid',
  interruptible: 'bid',
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `{field: {op: value}}` entries; a bare value means `eq`, a bare array `in`. */
export function parseFilters(raw: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): Filter[] {
  const filters: Filter[] = [];
  for (const [field, spec] of Object.entries(raw)) {
    if (skip.has(field)) continue;
    if (isPlainObject(spec)) {
      for (const [op, value] of Object.entries(spec)) {
        if (!(QUERY_OPS as readonly string[]).includes(op)) {
          throw invalidArgs(`Unknown operator "${op}" on ${field}; use one of ${QUERY_OPS.join(', ')}.`);
        }
        if ((op === 'in' || op === 'notin') && !Array.isArray(value)) {
          throw invalidArgs(`Operator "${op}" on ${field} needs a list of values.`);
        }
        filters.push({ field, op: op as QueryOp, value });
      }
    } else if (Array.isArray(spec)) {
      filters.push({ field, op: 'in', value: spec });
    } else {
      filters.push({ field, op: 'eq', value: spec });
    }
  }
  return filters;
}

function parseOrder(raw: unknown): [string, SortDirection][] {
  if (raw === undefined || raw === null) return [['score', 'desc']];
  const entries = typeof raw === 'string' ? [[raw]] : raw;
  if (!Array.isArray(entries)) throw invalidArgs('order must be a list like [["dph_total","asc"]].');
  const order: [string, SortDirection][] = [];
  for (const entry of entries) {
    const pair = typeof entry === 'string' ? [entry] : entry;
    if (!Array.isArray(pair) || typeof pair[0] !== 'string') {
      throw invalidArgs('order must be a list like [["dph_total","asc"]].');
    }
    const direction = String(pair[1] ?? 'asc').toLowerCase();
    if (direction !== 'asc' && direction !== 'desc') {
      throw invalidArgs(`order direction must be "asc" or "desc", not "${String(pair[1])}".`);
    }
    order.push([pair[0], direction]);
  }
  return order.length > 0 ? order : [['score', 'desc']];
}

function parsePositiveNumber(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === null) return fallback;
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw invalidArgs(`${name} must be a positive number.`);
  }
  return n;
}

/**
 * Parses a search body. Old vast CLIs wrap the query as `{"q": {...}}` (with `select_cols`),
 * newer ones send it bare; both are accepted.
 */
export function parseOfferSearch(body: unknown): OfferSearch {
  if (body === undefined || body === null || body === '') body = {};
  if (!isPlainObject(body)) throw invalidArgs('The search query must be a JSON object.');
  const query = isPlainObject(body.q) ? body.q : body;
  const filters = parseFilters(query, CONTROL_KEYS);
  const named = new Set(filters.map((f) => f.field));
  for (const f of DEFAULT_FILTERS) if (!named.has(f.field)) filters.push(f);

  const typeRaw = query.type ?? 'on-demand';
  const type = typeof typeRaw === 'string' ? TYPE_ALIASES[typeRaw.toLowerCase()] : undefined;
  if (!type) throw invalidArgs(`type must be one of on-demand, reserved, bid; not "${String(typeRaw)}".`);

  const limit = Math.min(
    Math.floor(parsePositiveNumber(query.limit, 'limit', DEFAULT_SEARCH_LIMIT)),
    MAX_SEARCH_LIMIT,
  );
  return {
    filters,
    order: parseOrder(query.order),
    limit: Math.max(limit, 1),
    type,
    allocatedStorage: parsePositiveNumber(
      query.allocated_storage,
      'allocated_storage',
      DEFAULT_ALLOCATED_STORAGE,
    ),
  };
}

/** "Oregon, US" → "US"; vast.ai's geolocation filters compare country codes. */
export function countryOf(geolocation: string): string {
  const comma = geolocation.lastIndexOf(',');
  return (comma >= 0 ? geolocation.slice(comma + 1) : geolocation).trim();
}

function normaliseOperand(field: string, operand: unknown): unknown {
  // The vast docs spell GPU names with underscores in queries ("H100_SXM").
  if (field === 'gpu_name' && typeof operand === 'string') return operand.replace(/_/g, ' ');
  return operand;
}

function valueFor(record: Record<string, unknown>, field: string, operand: unknown): unknown {
  const value = record[field];
  if (field === 'geolocation' && typeof value === 'string') {
    // A two-letter operand (or list of them) is a country code; anything longer is a full place.
    const sample = Array.isArray(operand) ? operand[0] : operand;
    if (typeof sample === 'string' && sample.length === 2) return countryOf(value).toUpperCase();
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' && (b === 'true' || b === 'false')) return a === (b === 'true');
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '') return a === Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function compare(a: unknown, b: unknown): number | null {
  const bn = typeof a === 'number' && typeof b === 'string' ? Number(b) : b;
  if (typeof a === 'number' && typeof bn === 'number' && !Number.isNaN(bn)) return a - bn;
  if (typeof a === 'string' && typeof bn === 'string') return a < bn ? -1 : a > bn ? 1 : 0;
  return null;
}

export function matchesFilter(record: Record<string, unknown>, filter: Filter): boolean {
  let operand = filter.value;
  operand = Array.isArray(operand)
    ? operand.map((v) => normaliseOperand(filter.field, v))
    : normaliseOperand(filter.field, operand);
  if (filter.field === 'geolocation') {
    operand = Array.isArray(operand)
      ? operand.map((v) => (typeof v === 'string' && v.length === 2 ? v.toUpperCase() : v))
      : typeof operand === 'string' && operand.length === 2
        ? operand.toUpperCase()
        : operand;
  }
  // Fields the record does not have are ignored, as vast.ai ignores columns it does not know.
  if (!(filter.field in record)) return true;
  const value = valueFor(record, filter.field, operand);
  switch (filter.op) {
    case 'eq':
      return same(value, operand);
    case 'neq':
      return !same(value, operand);
    case 'in':
      return (operand as unknown[]).some((v) => same(value, v));
    case 'notin':
      return !(operand as unknown[]).some((v) => same(value, v));
    default: {
      const c = compare(value, operand);
      if (c === null) return false;
      if (filter.op === 'gt') return c > 0;
      if (filter.op === 'gte') return c >= 0;
      if (filter.op === 'lt') return c < 0;
      return c <= 0;
    }
  }
}

export function matchesAll(record: Record<string, unknown>, filters: readonly Filter[]): boolean {
  for (const f of filters) if (!matchesFilter(record, f)) return false;
  return true;
}

/** Orders two records by the given keys, nulls last, then by `id`: a total order, so pages are stable. */
export function compareRecords(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  order: readonly [string, SortDirection][],
): number {
  for (const [field, direction] of order) {
    const av = a[field];
    const bv = b[field];
    if (av === bv) continue;
    if (av === null || av === undefined) return 1;
    if (bv === null || bv === undefined) return -1;
    const c = compare(av, bv) ?? String(av).localeCompare(String(bv));
    if (c !== 0) return direction === 'asc' ? c : -c;
  }
  return Number(a.id) - Number(b.id);
}

/** Sorts by the given keys; nulls last; ties broken by `id` so answers are stable. */
export function sortRecords<T extends Record<string, unknown>>(
  records: T[],
  order: readonly [string, SortDirection][],
): T[] {
  return records.sort((a, b) => compareRecords(a, b, order));
}
