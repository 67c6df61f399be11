/**
 * The slice of prom-client that packages record through, so none of them imports prom-client: the metrics
 * package provides it under `METRICS_RECORDER` (names get the app's prefix; asking twice for a name returns the
 * same metric). `collect` runs at scrape time with the metric as `this`.
 */
export interface MetricsRecorder {
  counter<L extends string = never>(config: MetricConfig<L, CounterMetric<L>>): CounterMetric<L>;
  gauge<L extends string = never>(config: MetricConfig<L, GaugeMetric<L>>): GaugeMetric<L>;
  histogram<L extends string = never>(
    config: MetricConfig<L, HistogramMetric<L>> & { buckets?: number[] },
  ): HistogramMetric<L>;
}

export interface MetricConfig<L extends string, M> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  collect?: (this: M) => void | Promise<void>;
}

export type Labels<L extends string> = Partial<Record<L, string | number>>;

export interface CounterMetric<L extends string = never> {
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
  /** The series of one label set, resolved once: its `inc()` skips hashing the labels on every call. */
  labels(labels: Labels<L>): { inc(value?: number): void };
  reset(): void;
}

export interface GaugeMetric<L extends string = never> {
  set(value: number): void;
  set(labels: Labels<L>, value: number): void;
  inc(value?: number): void;
  inc(labels: Labels<L>, value?: number): void;
  dec(value?: number): void;
  dec(labels: Labels<L>, value?: number): void;
  labels(labels: Labels<L>): { set(value: number): void; inc(value?: number): void; dec(value?: number): void };
  reset(): void;
}

export interface HistogramMetric<L extends string = never> {
  observe(value: number): void;
  observe(labels: Labels<L>, value: number): void;
  labels(labels: Labels<L>): { observe(value: number): void };
  reset(): void;
}
