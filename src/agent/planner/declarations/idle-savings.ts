import { readIdleSavings } from '../auto-pause.ts';
import type { ToolReading } from '../declaration.ts';

export const idleSavings: ToolReading = {
  whole: { order: 50, read: readIdleSavings },
};
