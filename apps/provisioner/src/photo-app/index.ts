export {
  isPhotoAppError,
  PhotoAppError,
  type CreatedApiKey,
  type CreateUserInput,
  type PhotoApp,
  type PhotoAppConfig,
  type PhotoAppSession,
  type PhotoAppUsage,
  type PhotoAppUser,
  type PhotoAppUserStatus,
  type PhotoAppVersion,
  type SignUpAdminResult,
  type UpdateUserInput,
  type UserUsage,
} from './photo-app.ts';
export { bytesFromImmich, bytesToImmich, createImmichPhotoApp, type ImmichPhotoAppOptions } from './immich.ts';
export {
  applyConfigPatch,
  configDrift,
  desiredConfigPatch,
  ensureControlPlaneConfig,
  SECRET_FIELDS,
  type ConfigPatch,
  type ControlPlaneSettings,
  type EnsuredConfig,
} from './system-config.ts';
