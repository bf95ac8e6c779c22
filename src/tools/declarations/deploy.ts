import type { ToolDeclaration } from './tool-declaration.ts';

export const deploy: ToolDeclaration = {
  tool: 'deploy',
  can: 'deploy machines',
  clauseWords: 'deploy|rent|launch|spin|provision|start',
  neighbours: ['search_offers'],
  examples: [
    {
      text: 'deploy a 4090 with pytorch under 50 cents an hour',
      calls: [
        {
          tool: 'deploy',
          args: { count: 1, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.5, image: 'pytorch/pytorch:latest' },
        },
      ],
    },
    {
      text: 'rent 2x A100 80GB, 200 GB disk',
      calls: [{ tool: 'deploy', args: { count: 2, gpu: 'a100-80gb', disk_gb: 200 } }],
    },
    {
      text: 'spin up two 4090s under $0.45/hr with the pytorch image',
      calls: [
        {
          tool: 'deploy',
          args: { count: 2, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.45, image: 'pytorch/pytorch:latest' },
        },
      ],
    },
    {
      text: 'launch a pair of h100 sxm in europe',
      calls: [{ tool: 'deploy', args: { count: 2, gpu: 'h100-sxm', region: 'europe' } }],
    },
    {
      text: 'start a new rtx3090 instance',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-3090' } }],
    },
    {
      text: 'get me an L40S with vllm/vllm-openai:latest',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'l40s', image: 'vllm/vllm-openai:latest' } }],
    },
    { text: 'start a 4090', calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090' } }] },
    { text: 'deploy 2 4090s', calls: [{ tool: 'deploy', args: { count: 2, gpu: 'rtx-4090' } }] },
    { text: 'deploy 4090x2', calls: [{ tool: 'deploy', args: { count: 2, gpu: 'rtx-4090' } }] },
    {
      text: 'rent a couple of 3090s in Japan',
      calls: [{ tool: 'deploy', args: { count: 2, gpu: 'rtx-3090', region: 'JP' } }],
    },
    {
      text: 'launch 8 x h100 sxm with 2tb disk',
      calls: [{ tool: 'deploy', args: { count: 8, gpu: 'h100-sxm', disk_gb: 2000 } }],
    },
    {
      text: 'deploy quad a100 in DE',
      calls: [{ tool: 'deploy', args: { count: 4, gpu: 'a100-40gb', region: 'DE' } }],
    },
    {
      text: 'deploy a single 3090 with disk 100',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-3090', disk_gb: 100 } }],
    },
    {
      text: 'rent an H200 in the US with 500gb storage',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'h200', disk_gb: 500, region: 'US' } }],
    },
    {
      text: 'deploy a 4090 with tensorflow',
      calls: [
        { tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', image: 'tensorflow/tensorflow:latest-gpu' } },
      ],
    },
    {
      text: 'deploy an a100 with cuda',
      calls: [
        {
          tool: 'deploy',
          args: { count: 1, gpu: 'a100-40gb', image: 'nvidia/cuda:12.4.1-devel-ubuntu22.04' },
        },
      ],
    },
    {
      text: 'deploy comfyui on a 4090',
      calls: [
        { tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', image: 'ghcr.io/ai-dock/comfyui:latest' } },
      ],
    },
    {
      text: 'deploy a 4090 with jupyter',
      calls: [
        {
          tool: 'deploy',
          args: { count: 1, gpu: 'rtx-4090', image: 'quay.io/jupyter/pytorch-notebook:cuda12-latest' },
        },
      ],
    },
    {
      text: 'deploy a 4090 image: ubuntu:22.04',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', image: 'ubuntu:22.04' } }],
    },
    {
      text: 'deploy a 4090 using nvidia/cuda:12.1.0-runtime-ubuntu22.04',
      calls: [
        {
          tool: 'deploy',
          args: { count: 1, gpu: 'rtx-4090', image: 'nvidia/cuda:12.1.0-runtime-ubuntu22.04' },
        },
      ],
    },
    {
      text: 'Deploy an L4 with ghcr.io/MyOrg/Serve:V2',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'l4', image: 'ghcr.io/MyOrg/Serve:V2' } }],
    },
    { text: 'i need 2 h100s', calls: [{ tool: 'deploy', args: { count: 2, gpu: 'h100-pcie' } }] },
    {
      text: 'I want a 4090 in europe under 60 cents',
      calls: [
        {
          tool: 'deploy',
          args: { count: 1, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.6, region: 'europe' },
        },
      ],
    },
    {
      text: 'can you please spin up a 4090 for me',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090' } }],
    },
    {
      text: 'deploy 4x 4090 at $1.60/hr total',
      calls: [{ tool: 'deploy', args: { count: 4, gpu: 'rtx-4090', max_price_per_gpu_hour: 0.4 } }],
    },
    {
      text: 'deploy an a100 under $0.5/hr in the US with 100 gb disk and pytorch',
      calls: [
        {
          tool: 'deploy',
          args: {
            count: 1,
            gpu: 'a100-40gb',
            max_price_per_gpu_hour: 0.5,
            image: 'pytorch/pytorch:latest',
            disk_gb: 100,
            region: 'US',
          },
        },
      ],
    },
    {
      text: 'deploy a 4090 with 99% reliability',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', min_reliability: 0.99 } }],
    },
    {
      text: 'spin up 8xA10G with vllm',
      calls: [{ tool: 'deploy', args: { count: 8, gpu: 'a10g', image: 'vllm/vllm-openai:latest' } }],
    },
    {
      text: '@gpuops rent a 5090 in asia',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-5090', region: 'asia' } }],
    },
    {
      text: 'rent me 2 3090 for 0.3 each',
      calls: [{ tool: 'deploy', args: { count: 2, gpu: 'rtx-3090', max_price_per_gpu_hour: 0.3 } }],
    },
    {
      text: 'we need a couple of l40s for inference, budget $1/hr each',
      calls: [{ tool: 'deploy', args: { count: 2, gpu: 'l40s', max_price_per_gpu_hour: 1 } }],
    },
    {
      text: 'set up an 8x H100 SXM node in the US with vllm',
      calls: [
        {
          tool: 'deploy',
          args: { count: 8, gpu: 'h100-sxm', image: 'vllm/vllm-openai:latest', region: 'US' },
        },
      ],
    },
    {
      text: 'launch a 4090 instance with 250gb ssd in Canada',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', disk_gb: 250, region: 'CA' } }],
    },
    { text: 'order a 4090', calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090' } }] },
    { text: 'find and deploy a 4090', calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090' } }] },
    {
      text: 'deploy an a100 80gb pcie',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'a100-80gb-pcie' } }],
    },
    {
      text: 'deploy a 4090\n  with pytorch',
      calls: [{ tool: 'deploy', args: { count: 1, gpu: 'rtx-4090', image: 'pytorch/pytorch:latest' } }],
    },
  ],
};
