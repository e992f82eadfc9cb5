export { dockerClient } from './client.ts';
export { inspectEngine } from './engine.ts';
