// One candidate server of ping-candidates.ts: `node -r ./bench/register.js bench/ping-server.ts <adapter> <variant>`;
// sends its port to the parent over IPC. Only the candidate's own app is loaded.
const [adapter, variant] = process.argv.slice(2) as ['express' | 'fastify', string];

async function start(): Promise<number> {
  if (variant.startsWith('typical:')) return (await import('./typical-stack-app')).startTypicalApp(adapter);
  return (await import('./metrics-bench-app')).startBenchApp(adapter, variant);
}

void start().then((port) => process.send?.({ port }));
