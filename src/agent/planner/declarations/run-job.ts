import type { ToolReading } from '../declaration.ts';
import { readRunJob } from '../job-request.ts';

export const runJob: ToolReading = {
  whole: { order: 1, asTyped: true, read: readRunJob },
};
