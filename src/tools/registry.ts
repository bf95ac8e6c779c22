import { z } from 'zod';
import { autoFailoverTool } from './auto-failover.ts';
import { autoPauseTool } from './auto-pause.ts';
import { cancelJobTool } from './cancel-job.ts';
import { deleteSnapshotTool } from './delete-snapshot.ts';
import { deployTool } from './deploy.ts';
import { deployRecommendationTool } from './deploy-recommendation.ts';
import { describeSnapshotTool } from './describe-snapshot.ts';
import { destroyTool } from './destroy.ts';
import { failoverTool } from './failover.ts';
import { fineTuneTool } from './fine-tune.ts';
import { hibernateTool, hibernationPolicyTool } from './hibernate.ts';
import { idleSavingsTool } from './idle-savings.ts';
import { instanceStatusTool } from './instance-status.ts';
import { jobLogsTool } from './job-logs.ts';
import { jobStatusTool } from './job-status.ts';
import { keepRunningTool } from './keep-running.ts';
import { listInstancesTool } from './list-instances.ts';
import { listJobsTool } from './list-jobs.ts';
import { listSnapshotsTool } from './list-snapshots.ts';
import { pauseTool } from './pause.ts';
import { recommendGpuTool } from './recommend-gpu.ts';
import { rerunJobTool } from './rerun-job.ts';
import { restoreTool } from './restore.ts';
import { restoreToNewTool } from './restore-to-new.ts';
import { resumeTool } from './resume.ts';
import { runJobTool } from './run-job.ts';
import { searchOffersTool } from './search-offers.ts';
import { snapshotTool } from './snapshot.ts';
import { snapshotPolicyTool } from './snapshot-policy.ts';
import { standbyTool } from './standby.ts';
import { stopAutoPauseTool } from './stop-auto-pause.ts';
import type { Tool } from './tool.ts';

export const TOOLS: readonly Tool[] = [
  searchOffersTool,
  listInstancesTool,
  instanceStatusTool,
  deployTool,
  pauseTool,
  resumeTool,
  destroyTool,
  recommendGpuTool,
  deployRecommendationTool,
  snapshotTool,
  listSnapshotsTool,
  restoreTool,
  restoreToNewTool,
  deleteSnapshotTool,
  describeSnapshotTool,
  snapshotPolicyTool,
  failoverTool,
  autoFailoverTool,
  hibernateTool,
  hibernationPolicyTool,
  autoPauseTool,
  stopAutoPauseTool,
  keepRunningTool,
  idleSavingsTool,
  standbyTool,
  runJobTool,
  fineTuneTool,
  jobLogsTool,
  listJobsTool,
  jobStatusTool,
  cancelJobTool,
  rerunJobTool,
];

const byName: ReadonlyMap<string, Tool> = new Map(TOOLS.map((t) => [t.name, t]));

export function getTool(name: string): Tool | undefined {
  return byName.get(name);
}

/**
 * JSON Schema of a tool's arguments, for OpenAI-style function definitions: no `$schema` (tokens
 * on every round trip for nothing), and no other keys allowed, as the agent refuses them.
 */
export function toolJsonSchema(tool: Tool): Record<string, unknown> {
  const { $schema: _unused, ...schema } = z.toJSONSchema(tool.schema, { io: 'input' }) as Record<
    string,
    unknown
  >;
  return { ...schema, additionalProperties: false };
}
