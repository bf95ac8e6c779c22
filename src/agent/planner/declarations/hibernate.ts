import type { ToolDeclaration } from '../declaration.ts';
import { readHibernate } from '../hibernation.ts';

export const hibernate: ToolDeclaration = {
  tool: 'hibernate',
  can: 'hibernate them',
  clauseWords: String.raw`hibernate`,
  neighbours: ['resume', 'hibernation_policy'],
  examples: [{ text: 'hibernate i-3', calls: [{ tool: 'hibernate', args: { instance: 'i-3' } }] }],
  whole: { order: 41, read: readHibernate },
};
