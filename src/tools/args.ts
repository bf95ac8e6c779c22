import { z } from 'zod';
import { REGIONS } from '../cloud/regions.ts';

/** Argument pieces shared by several tools, so the LLM sees one wording for one idea. */

export const gpuArg = z
  .string()
  .min(1)
  .max(60)
  .describe('GPU model as the user wrote it, e.g. "RTX 4090", "4090", "A100 80GB", "H100 SXM"');

export const countArg = z.number().int().min(1).max(16).describe('Number of GPUs in one machine (1-16)');

export const maxPriceArg = z
  .number()
  .positive()
  .max(1000)
  .describe('Highest acceptable price in USD per GPU per hour, e.g. 0.5 for "under 50 cents an hour"');

export const regionArg = z
  .union([z.enum(REGIONS), z.string().regex(/^[A-Z]{2}$/)])
  .describe(
    'Where the machine may be: a region (europe, north-america, ...) or an ISO country code like "US"',
  );

export const instanceArg = z
  .string()
  .regex(/^i-\d{1,9}$/, 'an instance id looks like i-3')
  .describe('gpuops instance id, like "i-3"');
