import { readKeepRunning } from '../auto-pause.ts';
import type { ToolReading } from '../declaration.ts';

export const keepRunning: ToolReading = {
  whole: { order: 51, read: readKeepRunning },
};
