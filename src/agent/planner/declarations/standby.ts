import type { ToolReading } from '../declaration.ts';
import { readStandby } from '../standby.ts';

export const standby: ToolReading = {
  whole: { order: 20, read: readStandby },
};
