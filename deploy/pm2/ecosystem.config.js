// PM2 process file for the enterprise service on a VM without systemd units of its own:
//   npm ci --omit=dev && npm run build   (or copy dist/ and run `npm ci --omit=dev`)
//   pm2 start deploy/pm2/ecosystem.config.js --env production && pm2 save
// Cluster mode runs one worker per core behind one port. Each worker is a process of its own: it leases its
// own TSID node ID in Redis, so TSID_NODE_ID must stay unset here.
'use strict';
const path = require('node:path');

module.exports = {
  apps: [
    {
      name: 'enterprise-service',
      cwd: path.join(__dirname, '..', '..'),
      script: 'dist/apps/enterprise-service/main.js',
      exec_mode: 'cluster',
      instances: 'max',
      // Old space 384 MiB; PM2 restarts a worker whose RSS passes 512 MiB (a leak), gracefully.
      node_args: '--max-old-space-size=384',
      max_memory_restart: '512M',
      // Zero-downtime reload: PM2 stops an old worker only once its replacement sent 'ready', which the service
      // does when its readiness first answers 200 (node ID leased, even after a quarantine of TTL + skew = 31 s).
      // listen_timeout: how long PM2 waits for that message before it moves on anyway.
      wait_ready: true,
      listen_timeout: 60_000,
      // PM2 sends SIGINT and waits kill_timeout before SIGKILL: drain 5 s + in-flight timeout 30 s + hooks + margin.
      // A SIGKILL costs more than its own requests: a connection the cluster primary was handing to that worker
      // stays open in the primary, never answered (test/deploy/pm2-cluster.e2e-spec.ts, the control).
      kill_timeout: 45_000,
      // Restart on any exit except 78 (invalid configuration) and a clean 0; 75 (TSID lease lost) is a
      // request to be restarted. Back off exponentially from 100 ms when a worker keeps dying.
      autorestart: true,
      stop_exit_codes: [0, 78],
      exp_backoff_restart_delay: 100,
      max_restarts: 10,
      min_uptime: '30s',
      merge_logs: true,
      time: false, // the service logs JSON lines with their own timestamps
      env: {
        NODE_ENV: 'development',
        PORT: '3000',
      },
      env_production: {
        NODE_ENV: 'production',
        PORT: '3000',
        SHUTDOWN_DRAIN_DELAY_MS: '5000',
        SHUTDOWN_TIMEOUT_MS: '30000',
        LOG_LEVEL: 'info',
        // Each worker has its own metrics registry: worker i serves /metrics on METRICS_PORT + i
        // (NODE_APP_INSTANCE); scrape them all (deploy/pm2/prometheus.yml).
        METRICS_PORT: '9464',
        // MONGODB_URI and REDIS_URL: set them in the environment pm2 is started from, never in this file.
      },
    },
  ],
};
