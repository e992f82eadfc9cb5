// What tests and benchmarks outside this package may use of the worker: the worker itself, its activity factories
// and adapters (to run a real worker in-process), and the fixtures that make the rows it expects. The portal's own
// code imports `@photoplane/provisioner/contracts` only (ESLint keeps it so); this entry is for test code.
export { createHostWorker, createWorker } from './worker.ts';
export { createActivities, createHostActivities, createMemberActivities } from './activities/index.ts';
export {
  buildInstanceStackSpec,
  dockerClient,
  publishedPort,
  removeInstanceStack,
  type InstanceStackSpec,
} from './docker/index.ts';
export { createCaddyEdge } from './edge/index.ts';
export { createImmichPhotoApp } from './photo-app/index.ts';
export { createSmtpMailer } from './mail.ts';
export { createSecrets } from './secrets.ts';
export { stackProfile } from './stack-profiles.ts';
export { createLogger, installTemporalLogger } from './logger.ts';
export { createPendingInstance } from '../test/fixtures/instances.ts';
export {
  startSubscriptionTestWorker,
  type InstanceOperationCall,
  type SubscriptionTestWorker,
} from '../test/fixtures/subscription-test-worker.ts';
