// Runs the TypeScript bench module named by workerData.module inside a worker
// thread: its own V8 isolate, so its JIT state is its own (tsx compiles it).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
