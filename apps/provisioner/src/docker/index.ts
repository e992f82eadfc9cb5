export { dockerClient, type DockerClientOptions } from './client.ts';
export {
  DOCKER_TLS_FILES,
  InsecureDockerEndpointError,
  InvalidDockerEndpointError,
  parseDockerEndpoint,
  type DockerEndpoint,
} from './endpoint.ts';
export { inspectEngine } from './engine.ts';
export {
  ContainerNotHealthyError,
  ForeignResourceError,
  isConflict,
  isNotFound,
  isNotModified,
  type NotHealthyReason,
  type ResourceKind,
} from './errors.ts';
export {
  instanceFilters,
  instanceLabels,
  LABELS,
  ownershipMismatch,
  type Labels,
  type ResourceRole,
} from './labels.ts';
export {
  assertInstanceId,
  instanceNames,
  InvalidInstanceIdError,
  TENANT_BRIDGE_PREFIX,
  type InstanceNames,
} from './names.ts';
export { ensureNetwork, networkDrift, removeNetwork, type EnsuredNetwork, type NetworkSpec } from './networks.ts';
export { ensureVolume, measureVolumes, removeVolume, type EnsuredVolume, type VolumeSpec } from './volumes.ts';
export {
  containerSpecHash,
  ensureContainer,
  inspectContainer,
  publishedPort,
  removeContainer,
  startContainer,
  stopContainer,
  waitHealthy,
  withSpecHash,
  type ContainerDrift,
  type ContainerSpec,
  type EnsuredContainer,
  type WaitHealthyOptions,
} from './containers.ts';
export { imageExists } from './images.ts';
export { listManaged, type ManagedResources } from './managed.ts';
export {
  ALLOWED_CAPABILITIES,
  buildInstanceStackSpec,
  EDGE_SOCKET_DIR,
  InvalidStackInputError,
  STACK_ROLES,
  type ContainerHardening,
  type ContainerResources,
  type HealthcheckInput,
  type InstanceStackInput,
  type InstanceStackSpec,
  type StackRole,
} from './instance-stack-spec.ts';
export {
  ensureInstanceStack,
  MissingImageError,
  removeInstanceStack,
  type EnsureInstanceStackOptions,
  type EnsuredInstanceStack,
  type RemovedInstanceStack,
} from './instance-stack.ts';
