import type { ToolDeclaration } from './tool-declaration.ts';

export const searchOffers: ToolDeclaration = {
  tool: 'search_offers',
  can: 'search GPU offers',
  clauseWords: 'find|search',
  neighbours: ['deploy'],
  examples: [
    {
      text: 'what GPUs are available under $0.40/hr?',
      calls: [{ tool: 'search_offers', args: { max_price_per_gpu_hour: 0.4 } }],
    },
    {
      text: 'show me A100 80GB offers in Europe',
      calls: [{ tool: 'search_offers', args: { gpu: 'a100-80gb', region: 'europe' } }],
    },
    { text: 'cheapest 4090', calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', order: 'price' } }] },
    {
      text: 'find 2x H100 SXM in the US',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-sxm', count: 2, region: 'US' } }],
    },
    {
      text: 'list offers for 3090 with at least 0.98 reliability',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-3090', min_reliability: 0.98 } }],
    },
    {
      text: 'top 5 L40S offers sorted by reliability',
      calls: [{ tool: 'search_offers', args: { gpu: 'l40s', order: 'reliability', limit: 5 } }],
    },
    {
      text: 'any gpus with 48gb or more under a dollar',
      calls: [{ tool: 'search_offers', args: { min_gpu_ram_gb: 48, max_price_per_gpu_hour: 1 } }],
    },
    {
      text: '4090 under $0.5/hr',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 } }],
    },
    {
      text: 'rtx4090 for $0.45 per hour',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45 } }],
    },
    {
      text: 'RTX-4090 under 50 cents',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 } }],
    },
    {
      text: 'geforce 4090 at 50c/hr',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5 } }],
    },
    {
      text: 'A100 80G under 1 dollar',
      calls: [{ tool: 'search_offers', args: { gpu: 'a100-80gb', max_price_per_gpu_hour: 1 } }],
    },
    {
      text: 'a100-80gb below $2',
      calls: [{ tool: 'search_offers', args: { gpu: 'a100-80gb', max_price_per_gpu_hour: 2 } }],
    },
    {
      text: 'A100 less than 0.3 usd/h',
      calls: [{ tool: 'search_offers', args: { gpu: 'a100-40gb', max_price_per_gpu_hour: 0.3 } }],
    },
    {
      text: 'h100 sxm max $1.20',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-sxm', max_price_per_gpu_hour: 1.2 } }],
    },
    {
      text: 'H100 at most 80¢',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-pcie', max_price_per_gpu_hour: 0.8 } }],
    },
    {
      text: 'H200 under a buck',
      calls: [{ tool: 'search_offers', args: { gpu: 'h200', max_price_per_gpu_hour: 1 } }],
    },
    {
      text: '3090s under 25 cents',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-3090', max_price_per_gpu_hour: 0.25 } }],
    },
    { text: 'MI300X offers', calls: [{ tool: 'search_offers', args: { gpu: 'mi300x' } }] },
    { text: 'l40s in asia', calls: [{ tool: 'search_offers', args: { gpu: 'l40s', region: 'asia' } }] },
    {
      text: 'any 4090 in north america',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', region: 'north-america' } }],
    },
    {
      text: '4090 offers in Germany',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', region: 'DE' } }],
    },
    {
      text: '4090 offers in DE',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', region: 'DE' } }],
    },
    {
      text: 'H100 SXM US under $2.50',
      calls: [
        { tool: 'search_offers', args: { gpu: 'h100-sxm', region: 'US', max_price_per_gpu_hour: 2.5 } },
      ],
    },
    {
      text: 'find rtx-4090 offers in EU',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', region: 'europe' } }],
    },
    {
      text: '3090 with 99% reliable hosts',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-3090', min_reliability: 0.99 } }],
    },
    {
      text: '4090 reliability above 0.98',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', min_reliability: 0.98 } }],
    },
    {
      text: 'most reliable a6000',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-a6000', order: 'reliability' } }],
    },
    {
      text: 'best value h100',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-pcie', order: 'performance_per_dollar' } }],
    },
    {
      text: 'best bang for the buck 4090',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', order: 'performance_per_dollar' } }],
    },
    { text: 'show 3 a100 offers', calls: [{ tool: 'search_offers', args: { gpu: 'a100-40gb', limit: 3 } }] },
    {
      text: 'show me the 5 cheapest 3090s',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-3090', order: 'price', limit: 5 } }],
    },
    { text: 'top 100 4090 offers', calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', limit: 50 } }] },
    {
      text: '8xH100 under $3/hr',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-pcie', count: 8, max_price_per_gpu_hour: 3 } }],
    },
    {
      text: '4 gpus under $1',
      calls: [{ tool: 'search_offers', args: { count: 4, max_price_per_gpu_hour: 1 } }],
    },
    {
      text: 'dual 4090 in Germany',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', count: 2, region: 'DE' } }],
    },
    { text: 'how much is an a100', calls: [{ tool: 'search_offers', args: { gpu: 'a100-40gb' } }] },
    { text: 'what are the prices for h100s', calls: [{ tool: 'search_offers', args: { gpu: 'h100-pcie' } }] },
    {
      text: 'list offers for 4090 sorted by price',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', order: 'price' } }],
    },
    { text: 'rtx 4090 24gb offers', calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090' } }] },
    {
      text: 'search for gpus under $0.25/hr in DE',
      calls: [{ tool: 'search_offers', args: { max_price_per_gpu_hour: 0.25, region: 'DE' } }],
    },
    {
      text: '4090 x2 under $10/day',
      calls: [
        { tool: 'search_offers', args: { gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.416667 } },
      ],
    },
    {
      text: 'find 4090 or 3090 offers',
      calls: [
        { tool: 'search_offers', args: { gpu: 'rtx-4090' } },
        { tool: 'search_offers', args: { gpu: 'rtx-3090' } },
      ],
    },
    {
      text: 'gpus with vram >= 80 between $1 and $2',
      calls: [{ tool: 'search_offers', args: { min_gpu_ram_gb: 80, max_price_per_gpu_hour: 2 } }],
    },
    {
      text: 'h100 no more than $0.9/hr',
      calls: [{ tool: 'search_offers', args: { gpu: 'h100-pcie', max_price_per_gpu_hour: 0.9 } }],
    },
    { text: 'A10G offers', calls: [{ tool: 'search_offers', args: { gpu: 'a10g' } }] },
    {
      text: '4090 <= 0.4',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', max_price_per_gpu_hour: 0.4 } }],
    },
    {
      text: 'list all offers under $0.2',
      calls: [{ tool: 'search_offers', args: { max_price_per_gpu_hour: 0.2 } }],
    },
    {
      text: '2 4090s under $1 for both',
      calls: [{ tool: 'search_offers', args: { gpu: 'rtx-4090', count: 2, max_price_per_gpu_hour: 0.5 } }],
    },
    {
      text: "what's the cheapest gpu with at least 80gb",
      calls: [{ tool: 'search_offers', args: { min_gpu_ram_gb: 80, order: 'price' } }],
    },
    {
      text: '4090 vs 3090 prices',
      calls: [
        { tool: 'search_offers', args: { gpu: 'rtx-4090' } },
        { tool: 'search_offers', args: { gpu: 'rtx-3090' } },
      ],
    },
    {
      text: 'show offers for 4090 over 0.99 reliability under 40 cents',
      calls: [
        {
          tool: 'search_offers',
          args: { gpu: 'rtx-4090', min_reliability: 0.99, max_price_per_gpu_hour: 0.4 },
        },
      ],
    },
    {
      text: '4090 for less than 40 cents per hour in the EU with 98% reliability sorted by price, top 3',
      calls: [
        {
          tool: 'search_offers',
          args: {
            gpu: 'rtx-4090',
            max_price_per_gpu_hour: 0.4,
            region: 'europe',
            min_reliability: 0.98,
            order: 'price',
            limit: 3,
          },
        },
      ],
    },
  ],
};
