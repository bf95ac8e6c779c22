import type { Migration } from 'kysely';
import * as initial from './0001-initial.ts';
import * as recommendations from './0002-recommendations.ts';
import * as operationProgress from './0003-operation-progress.ts';
import * as truthfulState from './0004-truthful-state.ts';
import * as chatPlatforms from './0005-chat-platforms.ts';
import * as snapshots from './0006-snapshots.ts';
import * as failover from './0007-failover.ts';
import * as snapshotPolicies from './0008-snapshot-policies.ts';
import * as idlePolicies from './0009-idle-policies.ts';
import * as standby from './0010-standby.ts';
import * as noticeActions from './0011-notice-actions.ts';
import * as standbySyncHolder from './0012-standby-sync-holder.ts';
import * as noticeDelivery from './0013-notice-delivery.ts';
import * as jobs from './0014-jobs.ts';

/**
 * Every migration, by name, in the order they apply. Listed in code rather than read from the
 * folder at run time so the set that runs is the set that was type-checked, whatever the working
 * directory or bundling. Add a new file here with the next number; never rename or edit one that
 * has shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-recommendations': recommendations,
  '0003-operation-progress': operationProgress,
  '0004-truthful-state': truthfulState,
  '0005-chat-platforms': chatPlatforms,
  '0006-snapshots': snapshots,
  '0007-failover': failover,
  '0008-snapshot-policies': snapshotPolicies,
  '0009-idle-policies': idlePolicies,
  '0010-standby': standby,
  '0011-notice-actions': noticeActions,
  '0012-standby-sync-holder': standbySyncHolder,
  '0013-notice-delivery': noticeDelivery,
  '0014-jobs': jobs,
};
