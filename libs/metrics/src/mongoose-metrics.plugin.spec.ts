import { Test } from '@nestjs/testing';
import mongoose, { type Connection, Schema } from 'mongoose';
import { mongoAvailability, startMongo } from '../../../test/support';
import { MetricsModule } from './metrics.module';
import { MetricsService } from './metrics.service';
import { instrumentConnection } from './mongoose-metrics.plugin';

async function metricsService(): Promise<MetricsService> {
  const moduleRef = await Test.createTestingModule({
    imports: [MetricsModule.forRoot({ prefix: 'svc_', defaultMetrics: false })],
  }).compile();
  return moduleRef.get(MetricsService);
}

function widgetModel(connection: Connection) {
  return connection.model('Widget', new Schema({ name: { type: String, required: true } }), 'widgets');
}

async function series(metrics: MetricsService, name: string): Promise<Record<string, number>> {
  const values = (await metrics.registry.getSingleMetric(`svc_${name}`)!.get()).values;
  return Object.fromEntries(
    values
      .filter((value) => !('le' in value.labels))
      .map((value) => [
        `${(value as { metricName?: string }).metricName ?? name}{${Object.values(value.labels).join(',')}}`,
        value.value,
      ]),
  );
}

describe('mongooseMetricsPlugin', () => {
  it('records failed queries and saves by operation and collection through mongoose middleware (no server needed)', async () => {
    const metrics = await metricsService();
    // Nothing listens there and nothing is buffered: every operation runs its middleware, then fails at once.
    const connection = instrumentConnection(
      mongoose.createConnection('mongodb://127.0.0.1:9/none', { bufferCommands: false, serverSelectionTimeoutMS: 200 }),
      metrics,
    );
    connection.asPromise().catch(() => undefined);
    const Widget = widgetModel(connection);

    await expect(Widget.findOne({ name: 'a' }).exec()).rejects.toThrow(/initial connection/);
    await expect(Widget.findById(new mongoose.Types.ObjectId()).exec()).rejects.toThrow();
    await expect(Widget.updateMany({}, { name: 'b' }).exec()).rejects.toThrow();
    await expect(new Widget({ name: 'c' }).save()).rejects.toThrow();
    // Fails validation before reaching the database: not a database operation.
    await expect(new Widget({}).save()).rejects.toThrow(/required/);

    expect(await series(metrics, 'db_operations_total')).toEqual({
      'db_operations_total{findOne,widgets,error}': 2,
      'db_operations_total{updateMany,widgets,error}': 1,
      'db_operations_total{save,widgets,error}': 1,
    });
    expect(await series(metrics, 'db_operation_duration_seconds')).toMatchObject({
      'svc_db_operation_duration_seconds_count{findOne,widgets,error}': 2,
      'svc_db_operation_duration_seconds_count{save,widgets,error}': 1,
    });
    await connection.close();
  });

  const mongo = mongoAvailability();
  const withMongo = mongo.skipReason === undefined ? it : it.skip;
  if (mongo.skipReason !== undefined)
    console.log(`[metrics] Skipping the mongoose success-path test: ${mongo.skipReason}`);

  withMongo('records successful operations against a real MongoDB (FerretDB or MONGODB_URI)', async () => {
    const metrics = await metricsService();
    const connection = instrumentConnection(mongoose.createConnection((await startMongo()).uri), metrics);
    const Widget = widgetModel(connection);
    try {
      const widget = await new Widget({ name: 'a' }).save();
      await Widget.findById(widget._id).exec();
      await Widget.aggregate([{ $match: { name: 'a' } }]).exec();
      await Widget.deleteMany({}).exec();
      expect(await series(metrics, 'db_operations_total')).toEqual({
        'db_operations_total{save,widgets,success}': 1,
        'db_operations_total{findOne,widgets,success}': 1,
        'db_operations_total{aggregate,widgets,success}': 1,
        'db_operations_total{deleteMany,widgets,success}': 1,
      });
    } finally {
      await connection.close();
    }
  });
});
