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

/** The examples a "not understood" answer shows: few enough to read, one per everyday act. */
export const FALLBACK_EXAMPLES: readonly string[] = EXAMPLES.slice(0, 5);
