import { readAutoPause } from '../auto-pause.ts';
import type { ToolReading } from '../declaration.ts';

export const autoPause: ToolReading = {
  whole: { order: 53, read: readAutoPause },
};
