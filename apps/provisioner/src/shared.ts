/** @deprecated moved to ./contracts/index.ts (`@photoplane/provisioner/contracts`); kept until the branches merge. */
export * from './contracts/index.ts';
