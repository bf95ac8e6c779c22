/**
 * What gpuops counts, in one place: every metric's name, help text and labels. Code anywhere
 * records through `countMetric` and `observeMetric`; nothing is kept until a process that serves
 * metrics (`gpuops serve`) installs a sink, so commands such as `gpuops plan` never load a metrics
 * library. The sink that turns these into Prometheus metrics is src/http/metrics-registry.ts.
 */

export const COUNTERS = {
  operationsStarted: {
    name: 'gpuops_operations_started_total',
    help: 'Operations (deploy, pause, resume, destroy...) put on the queue, by kind.',
    labels: ['kind'],
  },
  operationsFinished: {
    name: 'gpuops_operations_finished_total',
    help: 'Operations that ended, by kind and outcome (succeeded, failed, cancelled, abandoned).',
    labels: ['kind', 'outcome'],
  },
  providerRequests: {
    name: 'gpuops_provider_requests_total',
    help: 'HTTP requests to the marketplace API, by call and HTTP status ("network" when none came back).',
    labels: ['op', 'status'],
  },
  providerErrors: {
    name: 'gpuops_provider_errors_total',
    help: 'Marketplace calls that failed after their retries, by call and error code.',
    labels: ['op', 'code'],
  },
  chatMessages: {
    name: 'gpuops_chat_messages_total',
    help: 'Messages posted to chat, by platform and kind (reply, error, progress).',
    labels: ['platform', 'kind'],
  },
  chatEdits: {
    name: 'gpuops_chat_edits_total',
    help: 'Chat messages edited in place (progress), by platform.',
    labels: ['platform'],
  },
  modelCalls: {
    name: 'gpuops_model_calls_total',
    help: 'Calls of the language model, by model and outcome (ok, error).',
    labels: ['model', 'outcome'],
  },
  modelTokens: {
    name: 'gpuops_model_tokens_total',
    help: 'Tokens the language model read (input) and wrote (output).',
    labels: ['model', 'direction'],
  },
} as const;

export const HISTOGRAMS = {
  operationDuration: {
    name: 'gpuops_operation_duration_seconds',
    help: 'From an operation being requested to its end, by kind and outcome.',
    labels: ['kind', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600],
  },
  jobLatency: {
    name: 'gpuops_job_latency_seconds',
    help: 'From a job being queued to a worker starting it, by kind.',
    labels: ['kind'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
  },
} as const;

export type CounterKey = keyof typeof COUNTERS;
export type HistogramKey = keyof typeof HISTOGRAMS;
export type MetricLabels = Readonly<Record<string, string>>;

export interface MetricSink {
  inc(key: CounterKey, labels: MetricLabels, value: number): void;
  observe(key: HistogramKey, labels: MetricLabels, value: number): void;
}

let sink: MetricSink | undefined;

/** Installs where metrics go (once per process); undefined stops recording. */
export function setMetricSink(next: MetricSink | undefined): void {
  sink = next;
}

export function countMetric(key: CounterKey, labels: MetricLabels, value = 1): void {
  sink?.inc(key, labels, value);
}

export function observeMetric(key: HistogramKey, labels: MetricLabels, value: number): void {
  sink?.observe(key, labels, value);
}
