// The workflow bundle's entry: every workflow the worker runs.
export { probeDockerHostWorkflow } from './probe-docker-host.workflow.ts';
export { provisionInstanceWorkflow } from './provision-instance.workflow.ts';
