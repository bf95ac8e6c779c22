import { describe, expect, it } from 'vitest';
import { cleanRequest } from '../../../src/agent/planner/clean-request.ts';
import { extract } from '../../../src/agent/planner/extract.ts';
import type { Extraction } from '../../../src/agent/planner/types.ts';
import { UnreadText } from '../../../src/agent/planner/unread-text.ts';

function read(text: string): Extraction {
  return extract(new UnreadText(cleanRequest(text)));
}

describe('price extractor', () => {
  it.each([
    ['under $0.5/hr', 0.5],
    ['$0.45 per hour', 0.45],
    ['50 cents', 0.5],
    ['50c/hr', 0.5],
    ['under 1 dollar', 1],
    ['below $2', 2],
    ['less than 0.3 usd/h', 0.3],
    ['max $1.20', 1.2],
    ['at most 80¢', 0.8],
    ['under a buck', 1],
    ['under half a dollar', 0.5],
    ['for two bucks an hour', 2],
    ['budget 0.75', 0.75],
    ['under 0.4', 0.4],
    ['0.40$/hr', 0.4],
    ['$.35', 0.35],
    ['$12/day', 0.5],
    ['between $0.3 and $0.6', 0.6],
    ['no more than $0.9/hr', 0.9],
    ['＄０.５/hr', 0.5],
  ])('reads "%s" as $%s per GPU-hour', (text, dollars) => {
    expect(read(`4090 ${text}`).maxPrice).toBe(dollars);
  });

  it.each(['over $1', 'at least $0.2', 'more than 2 dollars'])('ignores the price floor in "%s"', (text) => {
    expect(read(`4090 ${text}`).maxPrice).toBeUndefined();
  });

  it('marks a price for the whole machine so it can be split per GPU', () => {
    const ex = read('4x 4090 for $2/hr total');
    expect(ex.maxPrice).toBe(2);
    expect(ex.priceIsTotal).toBe(true);
  });

  it('does not read GPU names, counts, disks or limits as prices', () => {
    for (const text of [
      'deploy 2x 4090 with 200 gb disk',
      'top 5 a100 offers',
      'max 4 gpus',
      'up to 5 results',
    ]) {
      expect(read(text).maxPrice, text).toBeUndefined();
    }
  });

  it.each(['-5 dollars', '$0/hr', '$5000/hr', '$-1', 'minus 3 dollars'])(
    'reports "%s" as a price problem',
    (text) => {
      const ex = read(`4090 under ${text}`);
      expect(ex.maxPrice).toBeUndefined();
      expect(ex.problems.map((p) => p.field)).toContain('price');
    },
  );
});

describe('count extractor', () => {
  it.each([
    ['2x 4090', 2],
    ['4090 x2', 2],
    ['2 x 4090', 2],
    ['x4 a100', 4],
    ['two 4090s', 2],
    ['a pair of h100 sxm', 2],
    ['a couple of 3090s', 2],
    ['4 gpus', 4],
    ['8xH100', 8],
    ['dual 4090', 2],
    ['quad a100', 4],
    ['single 3090', 1],
    ['an 8-way h100 box', 8],
    ['a 4-gpu machine', 4],
    ['sixteen a100s', 16],
  ])('reads "%s" as %s GPUs', (text, count) => {
    expect(read(text).count).toBe(count);
  });

  it('reads no count from prices, disks, limits or ids', () => {
    for (const text of ['4090 under $2', 'rent a 4090 with 200gb disk', 'top 5 4090', 'pause i-3 and i-4']) {
      expect(read(text).count, text).toBeUndefined();
    }
  });
});

describe('region extractor', () => {
  it.each([
    ['in Europe', 'europe'],
    ['EU', 'europe'],
    ['in the EU', 'europe'],
    ['in the US', 'US'],
    ['in the usa', 'US'],
    ['in north america', 'north-america'],
    ['in asia', 'asia'],
    ['in Germany', 'DE'],
    ['DE', 'DE'],
    ['in de', 'DE'],
    ['in the UK', 'GB'],
    ['in south africa', 'ZA'],
    ['in africa', 'africa'],
    ['in oceania', 'oceania'],
    ['in australia', 'AU'],
    ['us-east', 'US'],
    ['in japan', 'JP'],
  ])('reads "%s" as %s', (text, region) => {
    expect(read(`4090 ${text}`).region).toBe(region);
  });

  it('does not read pronouns and small words as countries', () => {
    for (const text of [
      'give us a 4090',
      'put it in it',
      'deploy a 4090 in no time',
      'show me 4090s in an hour',
    ]) {
      expect(read(text).region, text).toBeUndefined();
    }
  });
});

describe('image extractor', () => {
  it.each([
    ['with pytorch', 'pytorch/pytorch:latest'],
    ['with the vllm image', 'vllm/vllm-openai:latest'],
    ['using tensorflow', 'tensorflow/tensorflow:latest-gpu'],
    ['with cuda', 'nvidia/cuda:12.4.1-devel-ubuntu22.04'],
    ['with vllm/vllm-openai:v0.6.3', 'vllm/vllm-openai:v0.6.3'],
    ['image: ubuntu:22.04', 'ubuntu:22.04'],
    ['with pytorch/pytorch', 'pytorch/pytorch'],
    ['from ghcr.io/Org/App:Tag-1', 'ghcr.io/Org/App:Tag-1'],
  ])('reads "%s" as %s', (text, image) => {
    expect(read(`deploy a 4090 ${text}`).image).toBe(image);
  });

  it('does not take rates or GPU lists for image paths', () => {
    for (const text of ['4090 at 0.5/hr', '4090 at 50c/hr', 'a100/h100 offers', 'best perf/$ 4090']) {
      expect(read(text).image, text).toBeUndefined();
    }
  });
});

describe('disk, reliability, memory, order and limit extractors', () => {
  it.each([
    ['200 GB disk', 200],
    ['200gb storage', 200],
    ['disk 100', 100],
    ['disk: 500GB', 500],
    ['1.5tb nvme', 1500],
    ['with 300 gigs of disk space', 300],
  ])('reads the disk "%s" as %s GB', (text, gb) => {
    expect(read(`deploy a 4090 ${text}`).diskGb).toBe(gb);
  });

  it.each([
    ['reliability above 0.98', 0.98],
    ['99% reliable', 0.99],
    ['at least 0.95 reliability', 0.95],
    ['reliability >= 97%', 0.97],
    ['99.5% uptime', 0.995],
  ])('reads the reliability "%s" as %s', (text, value) => {
    expect(read(`4090 ${text}`).minReliability).toBe(value);
  });

  it.each([
    ['48gb or more', 48],
    ['at least 24 GB of VRAM', 24],
    ['80gb+', 80],
    ['vram >= 40', 40],
  ])('reads the memory "%s" as %s GB', (text, gb) => {
    expect(read(`gpus with ${text}`).minGpuRamGb).toBe(gb);
  });

  it.each([
    ['cheapest', 'price'],
    ['sorted by price', 'price'],
    ['most reliable', 'reliability'],
    ['sorted by reliability', 'reliability'],
    ['best value', 'performance_per_dollar'],
    ['best perf/$', 'performance_per_dollar'],
  ])('reads the order "%s" as %s', (text, order) => {
    expect(read(`4090 offers ${text}`).order).toBe(order);
  });

  it.each([
    ['top 5 4090 offers', 5],
    ['show 3 a100 offers', 3],
    ['the 10 cheapest 3090s', 10],
    ['give me five results', 5],
  ])('reads the limit in "%s" as %s', (text, limit) => {
    expect(read(text).limit).toBe(limit);
  });
});

describe('instance id extractor', () => {
  it.each([
    ['pause i-3', ['i-3']],
    ['pause I3', ['i-3']],
    ['stop instance 3', ['i-3']],
    ['stop instance #12', ['i-12']],
    ['pause i-3 and i-4', ['i-3', 'i-4']],
    ['pause i-3, i-4 & i-5', ['i-3', 'i-4', 'i-5']],
    ['pause instances 3, 4 and 5', ['i-3', 'i-4', 'i-5']],
    ['pause i-3 and 4', ['i-3', 'i-4']],
    ['kill #7', ['i-7']],
    ['i-3 i-3 i-3', ['i-3']],
  ])('reads "%s" as %j', (text, ids) => {
    expect(read(text).instances).toEqual(ids);
  });

  it('does not read GPU names or prices as ids', () => {
    expect(read('deploy 2 h100 under $3 in asia').instances).toEqual([]);
  });
});

describe('request cleaning', () => {
  it.each([
    ['@gpuops cheapest 4090', 'cheapest 4090'],
    ['gpuops, pause i-3', 'pause i-3'],
    ['hey gpuops: status of i-3', 'status of i-3'],
    ['deploy a 4090 — pytorch', 'deploy a 4090 - pytorch'],
  ])('cleans %j into %j', (raw, clean) => {
    expect(cleanRequest(raw)).toBe(clean);
  });
});
