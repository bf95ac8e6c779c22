import type { ToolReading } from '../declaration.ts';
import { readSnapshotPolicy } from '../snapshot-schedules.ts';

export const snapshotPolicy: ToolReading = {
  whole: { order: 10, read: readSnapshotPolicy },
};
