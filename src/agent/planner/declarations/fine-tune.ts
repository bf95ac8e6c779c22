import type { ToolReading } from '../declaration.ts';
import { readFineTune } from '../job-request.ts';

export const fineTune: ToolReading = {
  whole: { order: 2, asTyped: true, read: readFineTune },
};
