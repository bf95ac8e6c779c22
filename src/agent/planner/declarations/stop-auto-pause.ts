import { readStopAutoPause } from '../auto-pause.ts';
import type { ToolReading } from '../declaration.ts';

export const stopAutoPause: ToolReading = {
  whole: { order: 52, read: readStopAutoPause },
};
