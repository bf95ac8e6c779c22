import type { ToolDeclaration } from './tool-declaration.ts';
import { SNAPSHOT_TALK } from './topic-words.ts';

export const snapshot: ToolDeclaration = {
  tool: 'snapshot',
  can: 'snapshot and restore their workspaces (on a schedule too)',
  clauseWords: String.raw`snapshot|back\s+(?:\S+\s+){0,3}?up|backup|checkpoint`,
  neighbours: ['list_snapshots'],
  examples: [
    { text: 'back up i-6', calls: [{ tool: 'snapshot', args: { instance: 'i-6' } }] },
    {
      text: 'take a snapshot of i-14 called before-upgrade',
      calls: [{ tool: 'snapshot', args: { instance: 'i-14', name: 'before-upgrade' } }],
    },
  ],
  topic: { words: SNAPSHOT_TALK },
  unread: {
    words:
      /\b(?:snapshots?|backups?|(?<!\b(?:spin|start|bring|boot|fire|power|get)\s+(?:\S+\s+)?)back\s+(?:\S+\s+)?up|restore)\b/,
    answer:
      'I can\'t read that as a snapshot request. Snapshots work like "snapshot i-3", "restore snap-3 onto i-9", "list snapshots of i-3" or "snapshot i-3 every 6 hours".',
  },
};
