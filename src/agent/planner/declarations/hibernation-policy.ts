import type { ToolReading } from '../declaration.ts';
import { readHibernationPolicy } from '../hibernation.ts';

export const hibernationPolicy: ToolReading = {
  whole: { order: 40, read: readHibernationPolicy },
};
