import type { ToolName } from '../schemas.ts';
import { autoFailover } from './auto-failover.ts';
import { autoPause } from './auto-pause.ts';
import { cancelJob } from './cancel-job.ts';
import { deleteSnapshot } from './delete-snapshot.ts';
import { deploy } from './deploy.ts';
import { deployRecommendation } from './deploy-recommendation.ts';
import { describeSnapshot } from './describe-snapshot.ts';
import { destroy } from './destroy.ts';
import { failover } from './failover.ts';
import { fineTune } from './fine-tune.ts';
import { hibernate } from './hibernate.ts';
import { hibernationPolicy } from './hibernation-policy.ts';
import { idleSavings } from './idle-savings.ts';
import { instanceStatus } from './instance-status.ts';
import { jobLogs } from './job-logs.ts';
import { jobStatus } from './job-status.ts';
import { keepRunning } from './keep-running.ts';
import { listInstances } from './list-instances.ts';
import { listJobs } from './list-jobs.ts';
import { listSnapshots } from './list-snapshots.ts';
import { pause } from './pause.ts';
import { recommendGpu } from './recommend-gpu.ts';
import { rerunJob } from './rerun-job.ts';
import { restore } from './restore.ts';
import { restoreToNewInstance } from './restore-to-new-instance.ts';
import { resume } from './resume.ts';
import { runJob } from './run-job.ts';
import { searchOffers } from './search-offers.ts';
import { snapshot } from './snapshot.ts';
import { snapshotPolicy } from './snapshot-policy.ts';
import { standby } from './standby.ts';
import { stopAutoPause } from './stop-auto-pause.ts';
import type { ToolDeclaration } from './tool-declaration.ts';

export type { Phrasing, ToolDeclaration, Topic, Unread } from './tool-declaration.ts';

/**
 * Every tool's declaration, keyed by tool so that a tool cannot be added without one. The order is
 * the order of `gpuops eval`'s default set: the everyday tools first.
 */
export const DECLARATIONS: Readonly<Record<ToolName, ToolDeclaration>> = {
  search_offers: searchOffers,
  deploy: deploy,
  pause: pause,
  resume: resume,
  destroy: destroy,
  list_instances: listInstances,
  instance_status: instanceStatus,
  recommend_gpu: recommendGpu,
  deploy_recommendation: deployRecommendation,
  auto_pause: autoPause,
  stop_auto_pause: stopAutoPause,
  keep_running: keepRunning,
  idle_savings: idleSavings,
  snapshot: snapshot,
  list_snapshots: listSnapshots,
  describe_snapshot: describeSnapshot,
  delete_snapshot: deleteSnapshot,
  snapshot_policy: snapshotPolicy,
  restore: restore,
  restore_to_new_instance: restoreToNewInstance,
  failover: failover,
  auto_failover: autoFailover,
  hibernate: hibernate,
  hibernation_policy: hibernationPolicy,
  standby: standby,
  run_job: runJob,
  fine_tune: fineTune,
  job_logs: jobLogs,
  list_jobs: listJobs,
  job_status: jobStatus,
  cancel_job: cancelJob,
  rerun_job: rerunJob,
};

export const DECLARED: readonly ToolDeclaration[] = Object.values(DECLARATIONS);
