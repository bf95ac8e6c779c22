import { GET_ME, START } from '../act-words.ts';
import { checked, compact } from '../checked-calls.ts';
import type { ToolReading } from '../declaration.ts';
import { pricePerGpu, smallerThanAsked } from '../offer-terms.ts';
import { missingGpu, severalGpusForDeploy, unknownGpu } from '../questions.ts';
import type { Extraction, Plan } from '../types.ts';

const DEPLOY_VERBS = String.raw`deploy|rent|provision|launch|(?<!\bin\s)order|spin\s+(?:\S+\s+)?up|fire\s+(?:\S+\s+)?up|boot\s+up|bring\s+up|set\s+up|allocate|reserve|lease|book|create|buy`;

export const deploy: ToolReading = {
  reading: {
    acts: [
      { pattern: new RegExp(String.raw`\b(?:${DEPLOY_VERBS})\b`), points: 6 },
      { pattern: START, points: 2 },
      { pattern: GET_ME, points: 3 },
      { pattern: /\b(?:i|we)\s+(?:need|want|wanna|would\s+like)\b|\b(?:i'?d|we'?d)\s+like\b/, points: 2 },
    ],
    objects: [{ pattern: /\bnew\b/, points: 1 }],
    slots: [
      { slots: ['instance'], points: -4 },
      { slots: ['snapshot'], points: -6 },
      { slots: ['gpu'], points: 2 },
      { slots: ['price'], points: 1 },
      { slots: ['count'], points: 1 },
      { slots: ['region'], points: 1 },
      { slots: ['reliability'], points: 1 },
      { slots: ['image', 'disk'], points: 2 },
    ],
    needsAct: true,
    risk: 5,
    uses: ['price', 'count', 'disk', 'reliability', 'region'],
    inherits: 'gpus',
    verb: 'deploy',
    build: deployPlan,
  },
};

function deployPlan(ex: Extraction): Plan {
  const unknown = ex.unknownGpus[0];
  if (unknown !== undefined) return { kind: 'clarify', message: unknownGpu(unknown, 'deploy') };
  const [gpu, ...others] = ex.gpus;
  if (gpu === undefined) return { kind: 'clarify', message: missingGpu(ex.minGpuRamGb) };
  if (others.length > 0) return { kind: 'clarify', message: severalGpusForDeploy(ex.gpus) };
  const tooSmall = smallerThanAsked(ex);
  if (tooSmall) return { kind: 'clarify', message: tooSmall };
  const args = compact({
    gpu: gpu.id,
    count: ex.count ?? 1,
    max_price_per_gpu_hour: pricePerGpu(ex),
    image: ex.image,
    disk_gb: ex.diskGb,
    region: ex.region,
    min_reliability: ex.minReliability,
  });
  return checked({ tool: 'deploy', args });
}
