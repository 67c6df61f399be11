import { performance } from 'node:perf_hooks';
import type { Connection, Schema } from 'mongoose';
import type { Counter, Histogram } from 'prom-client';
import type { MetricsService } from './metrics.service';

/** Upper bounds (seconds) of `db_operation_duration_seconds`. */
export const DB_OPERATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10]);

const QUERY_OPERATIONS = [
  'countDocuments',
  'distinct',
  'estimatedDocumentCount',
  'find',
  'findOne',
  'findOneAndDelete',
  'findOneAndReplace',
  'findOneAndUpdate',
  'replaceOne',
  'updateMany',
  'updateOne',
  'deleteMany',
  'deleteOne',
];
const DOCUMENT_OPERATIONS = ['save', 'deleteOne', 'updateOne'];

const kStart = Symbol('metrics.db.start');

type Labels = 'operation' | 'collection' | 'result';
type Timed = { [kStart]?: number };
type QueryContext = Timed & { op?: string; mongooseCollection?: { collectionName?: string } };
type DocumentContext = Timed & { collection?: { collectionName?: string } };
type AggregateContext = Timed & { model(): { collection?: { collectionName?: string } } | undefined };
type Hook<T> = (this: T, ...args: unknown[]) => void;

// Mongoose's overloads for pre/post are keyed by hook name and context type; one loose signature covers all of ours.
interface HookableSchema {
  pre<T>(name: string | string[], options: object, fn: Hook<T>): unknown;
  post<T>(name: string | string[], options: object, fn: Hook<T>): unknown;
}

/**
 * A mongoose plugin recording `db_operations_total` and `db_operation_duration_seconds` by `operation` (the query
 * or document operation: `findOne`, `updateOne`, `save`, `aggregate`, ...), `collection` and `result`
 * (`success` | `error`). Every label value comes from the schema and the operation, never from a query's content.
 * Apply it to a connection (`connection.plugin(...)`, see {@link instrumentConnection}) before models are compiled.
 * Not covered: `insertMany` and `bulkWrite`, whose middleware context (the model) is shared by concurrent calls.
 * A save that fails validation never reaches the database and is not counted.
 */
export function mongooseMetricsPlugin(metrics: MetricsService): (schema: Schema) => void {
  const labelNames: Labels[] = ['operation', 'collection', 'result'];
  const total = metrics.counter({
    name: 'db_operations_total',
    help: 'MongoDB operations, by operation, collection and result.',
    labelNames,
  });
  const duration = metrics.histogram({
    name: 'db_operation_duration_seconds',
    help: 'Duration of MongoDB operations in seconds, by operation, collection and result.',
    labelNames,
    buckets: [...DB_OPERATION_BUCKETS],
  });
  return (schema: Schema) => {
    const hooks = schema as unknown as HookableSchema;
    hookOperations<QueryContext>(hooks, QUERY_OPERATIONS, { document: false, query: true }, (query) => [
      query.op ?? 'unknown',
      query.mongooseCollection?.collectionName ?? 'unknown',
    ]);
    hookOperations<DocumentContext>(hooks, DOCUMENT_OPERATIONS, { document: true, query: false }, (doc, operation) => [
      operation,
      doc.collection?.collectionName ?? 'unknown',
    ]);
    hookOperations<AggregateContext>(hooks, ['aggregate'], {}, (aggregate) => [
      'aggregate',
      aggregate.model()?.collection?.collectionName ?? 'unknown',
    ]);
  };

  function hookOperations<T extends Timed>(
    hooks: HookableSchema,
    operations: string[],
    options: object,
    labelsOf: (context: T, operation: string) => [string, string],
  ): void {
    for (const operation of operations) {
      hooks.pre<T>(operation, options, function () {
        this[kStart] = performance.now();
      });
      hooks.post<T>(operation, options, function () {
        record(total, duration, this, labelsOf(this, operation), 'success');
      });
      hooks.post<T>(operation, { ...options, errorHandler: true }, function () {
        record(total, duration, this, labelsOf(this, operation), 'error');
      });
    }
  }
}

function record(
  total: Counter<Labels>,
  duration: Histogram<Labels>,
  context: Timed,
  [operation, collection]: [string, string],
  result: 'success' | 'error',
): void {
  const start = context[kStart];
  // No start: the operation failed in an earlier hook (a save failing validation) and never reached the database.
  if (start === undefined) return;
  context[kStart] = undefined;
  total.labels(operation, collection, result).inc();
  duration.labels(operation, collection, result).observe((performance.now() - start) / 1000);
}

/** For `MongooseModule.forRoot*({ connectionFactory })`: instruments every model later compiled on the connection. */
export function instrumentConnection(connection: Connection, metrics: MetricsService): Connection {
  connection.plugin(mongooseMetricsPlugin(metrics));
  return connection;
}
