/** What gpuops tells people it can do: the answer to "help" and the tail of every "I don't understand". */
export const EXAMPLES = [
  'what GPUs are available under $0.40/hr?',
  'show me A100 80GB offers in Europe',
  'deploy a 4090 with pytorch under 50 cents an hour',
  'rent 2x A100 80GB, 200 GB disk',
  'list my instances',
  'status of i-3',
  'pause i-3 / resume i-3 / destroy i-3',
];

export function helpText(): string {
  return [
    'I find, rent and run GPUs on the marketplace for this channel. Things you can say:',
    ...EXAMPLES.map((e) => `  • ${e}`),
    'Prices are per GPU per hour. Deploy, pause, resume and destroy run as jobs with progress here; destroy asks first.',
  ].join('\n');
}

export function notUnderstood(reason?: string): string {
  return [
    reason ?? "I didn't understand that.",
    'Try one of these:',
    ...EXAMPLES.slice(0, 5).map((e) => `  • ${e}`),
    'Say "help" for everything I can do.',
  ].join('\n');
}
