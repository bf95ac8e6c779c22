import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  COUNTERS,
  type CounterKey,
  HISTOGRAMS,
  type HistogramKey,
  type MetricLabels,
  setMetricSink,
} from '../metrics.ts';

/** What the gauges read when Prometheus scrapes: the present, not a running count. */
export interface GaugeSources {
  /** Operation jobs by queue state (waiting, active, delayed, failed...). */
  queueDepth(): Promise<Record<string, number>>;
  /** Instances whose GPUs bill, and what they cost per hour in all. */
  instances(): Promise<{ running: number; costPerHour: number }>;
}

/**
 * The Prometheus side of src/metrics.ts: one registry per process with every counter and
 * histogram it defines, the queue and instance gauges, and Node's default process metrics.
 * Creating it installs it as the process's metric sink.
 */
export function createMetricsRegistry(sources: GaugeSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gpuops_' });
  const counters = new Map<CounterKey, Counter>();
  for (const [key, def] of Object.entries(COUNTERS) as [CounterKey, (typeof COUNTERS)[CounterKey]][]) {
    counters.set(key, new Counter({ ...def, labelNames: [...def.labels], registers: [registry] }));
  }
  const histograms = new Map<HistogramKey, Histogram>();
  for (const [key, def] of Object.entries(HISTOGRAMS) as [
    HistogramKey,
    (typeof HISTOGRAMS)[HistogramKey],
  ][]) {
    histograms.set(
      key,
      new Histogram({
        ...def,
        buckets: [...def.buckets],
        labelNames: [...def.labels],
        registers: [registry],
      }),
    );
  }
  new Gauge({
    name: 'gpuops_queue_jobs',
    help: 'Operation jobs on the queue, by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [state, count] of Object.entries(await sources.queueDepth())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'gpuops_instances_running',
    help: 'Instances whose GPUs bill (running, or on their way up or down).',
    registers: [registry],
    async collect() {
      this.set((await sources.instances()).running);
    },
  });
  new Gauge({
    name: 'gpuops_instances_cost_per_hour_dollars',
    help: 'What the instances whose GPUs bill cost per hour, in all, USD.',
    registers: [registry],
    async collect() {
      this.set((await sources.instances()).costPerHour);
    },
  });
  setMetricSink({
    inc: (key: CounterKey, labels: MetricLabels, value: number) => counters.get(key)?.inc(labels, value),
    observe: (key: HistogramKey, labels: MetricLabels, value: number) =>
      histograms.get(key)?.observe(labels, value),
  });
  return registry;
}
