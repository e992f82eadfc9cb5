// Request and response bodies of the support API (SPEC A1-A5). Every object refuses unknown fields; every change
// carries a `reason`, which the service checks again (the CLI does not come through these schemas).
import { Type } from '@fastify/type-provider-typebox';
import { instanceStates, type InstanceState as State } from '@photoplane/tenant-model';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../platform/password.service.ts';
import { MAX_LIST_LIMIT } from './support.service.ts';
import { MemberView } from '../members/member.schema.ts';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Bytes = Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string' });
const DateTime = Type.String({ format: 'date-time' });

export const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept in the audit log' });
export const ReasonBody = Type.Object({ reason: Reason }, closed);

const Limit = Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: 100 });
const Search = Type.String({ maxLength: 200 });
const InstanceState = Type.Unsafe<State>(Type.String({ enum: [...instanceStates] }));

export const TenantParams = Type.Object({ subdomain: Type.String({ minLength: 1, maxLength: 63 }) }, closed);
export const UserParams = Type.Object(
  {
    subdomain: Type.String({ minLength: 1, maxLength: 63 }),
    user: Type.String({ minLength: 1, maxLength: 254, description: "The member's id or e-mail address" }),
  },
  closed,
);
export const CredentialParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, closed);

export const TenantListQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200, description: "Part of the subdomain or the owner's e-mail" })),
    state: Type.Optional(InstanceState),
    limit: Type.Optional(Limit),
  },
  closed,
);

const tenantFields = {
  subdomain: Type.String(),
  instanceId: Type.String(),
  state: InstanceState,
  subscriptionState: Type.String(),
  plan: Type.String(),
  owner: Type.String({ format: 'email', description: "The owner's e-mail" }),
  host: Nullable(Type.String()),
  provisioningStep: Nullable(Type.String()),
  members: Type.Integer(),
  createdAt: DateTime,
};

export const TenantView = Type.Object(tenantFields);
export const TenantList = Type.Object({ tenants: Type.Array(TenantView) });

export const TenantUsage = Type.Object({
  subdomain: Type.String(),
  state: InstanceState,
  members: Type.Integer(),
  planBytes: Bytes,
  allocatedBytes: Bytes,
  usedBytes: Bytes,
  freeBytes: Bytes,
  usedPercent: Type.Number(),
});
export const UsageReport = Type.Object({ instances: Type.Array(TenantUsage) });

export const TenantDetail = Type.Object({
  ...tenantFields,
  subscriptionId: Type.String(),
  currentPeriodEnd: Nullable(DateTime),
  ownerName: Nullable(Type.String()),
  planBytes: Bytes,
  imageRef: Nullable(Type.String()),
  appHostPort: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  usage: TenantUsage,
  holds: Type.Object(
    {
      staffSince: Nullable(DateTime),
      storage: Nullable(Type.Object({ since: DateTime, measuredBytes: Nullable(Bytes), limitBytes: Nullable(Bytes) })),
    },
    { description: "Holds billing events do not lift: support's suspend, and the storage watchdog's (over the plan)" },
  ),
  restoring: Nullable(
    Type.Object(
      { since: DateTime, snapshot: Type.String() },
      { description: 'The in-place restore running now (SPEC F1): the instance is stopped until it ends' },
    ),
  ),
});

export const OperationStarted = Type.Object({
  subdomain: Type.String(),
  operation: Type.String(),
  state: InstanceState,
  workflowId: Type.String(),
});

export const AuditQuery = Type.Object(
  {
    instance: Type.Optional(Type.String({ maxLength: 63, description: 'Subdomain (or id) of the instance' })),
    actor: Type.Optional(Type.String({ maxLength: 254, description: "The staff account's id or e-mail" })),
    since: Type.Optional(DateTime),
    until: Type.Optional(DateTime),
    limit: Type.Optional(Limit),
  },
  closed,
);

export const AuditList = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      at: DateTime,
      actorId: Nullable(Type.String()),
      actor: Nullable(Type.String()),
      action: Type.String(),
      targetType: Type.String(),
      targetId: Nullable(Type.String()),
      instanceId: Nullable(Type.String()),
      reason: Nullable(Type.String()),
      clientIp: Nullable(Type.String({ description: 'Where the action came from' })),
      details: Type.Unknown(),
    }),
  ),
});

export const SearchQuery = Type.Object({ search: Type.Optional(Search), limit: Type.Optional(Limit) }, closed);
export const UserSearchQuery = Type.Object({ search: Type.Optional(Search) }, closed);

const AssignableRole = Type.Union([
  Type.Literal('admin'),
  Type.Literal('user'),
  Type.Literal('viewer'),
  Type.Literal('guest'),
]);
const QuotaGiB = Type.Integer({ minimum: 0, maximum: 1024 * 1024 });
const StorageLabel = Nullable(Type.String({ minLength: 1, maxLength: 64 }));

export const NewUserBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    email: Type.String({ format: 'email', minLength: 1, maxLength: 254 }),
    mode: Type.Union([Type.Literal('invite'), Type.Literal('password')]),
    role: Type.Optional(AssignableRole),
    quotaGiB: Type.Optional(QuotaGiB),
    storageLabel: Type.Optional(StorageLabel),
    mustChangePassword: Type.Optional(Type.Boolean()),
    noLogin: Type.Optional(Type.Boolean()),
    reason: Reason,
  },
  closed,
);

export const UserPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(AssignableRole),
    quotaGiB: Type.Optional(QuotaGiB),
    storageLabel: Type.Optional(StorageLabel),
    noLogin: Type.Optional(Type.Boolean()),
    reason: Reason,
  },
  closed,
);

export const RemoveUserBody = Type.Object(
  {
    reason: Reason,
    immediate: Type.Optional(Type.Boolean()),
    confirm: Type.Optional(Type.String({ maxLength: 254, description: "The member's e-mail, for immediate" })),
  },
  closed,
);

export const SetPasswordBody = Type.Object(
  { password: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH }), reason: Reason },
  closed,
);

export const UserList = Type.Object({ users: Type.Array(MemberView) });
export const UserWithPassword = Type.Object({
  member: MemberView,
  password: Type.Optional(Type.String({ description: 'Shown this once' })),
  invitationExpiresAt: Type.Optional(DateTime),
});

export const LoginList = Type.Object({
  logins: Type.Array(
    Type.Object({
      clientIp: Type.String(),
      user: Type.String(),
      realm: Type.String(),
      status: Type.String(),
      lastLogin: Nullable(DateTime),
      failedAt: Nullable(DateTime),
      attempts: Type.Integer(),
    }),
  ),
});
export const Cleared = Type.Object({ deleted: Type.Integer() });

export const CredentialQuery = Type.Object(
  {
    search: Type.Optional(Search),
    limit: Type.Optional(Limit),
    all: Type.Optional(Type.Boolean({ description: 'Also revoked and expired sessions' })),
  },
  closed,
);

export const Credential = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('session'), Type.Literal('api_key')]),
  realm: Type.String(),
  user: Type.String(),
  label: Nullable(Type.String()),
  createdAt: DateTime,
  lastUsedAt: Nullable(DateTime),
  expiresAt: Nullable(DateTime),
  status: Type.Union([Type.Literal('live'), Type.Literal('revoked'), Type.Literal('expired')]),
});
export const CredentialList = Type.Object({ credentials: Type.Array(Credential) });

export const NewApiKeyBody = Type.Object(
  {
    instance: Type.String({ minLength: 1, maxLength: 63 }),
    user: Type.String({ minLength: 1, maxLength: 254 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    reason: Reason,
  },
  closed,
);
export const NewApiKey = Type.Object({ credential: Credential, secret: Type.String({ description: 'Shown once' }) });

export const ResetCredentialsBody = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 254, description: 'E-mail of the account, or of the member' }),
    instance: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'For a member' })),
    reason: Reason,
  },
  closed,
);
export const CredentialsReset = Type.Object({
  user: Type.String(),
  sessions: Type.Integer(),
  apiKeys: Type.Integer(),
});

// ----- staff accounts (A6) ---------------------------------------------------------------------------------------
const StaffRole = Type.Union([Type.Literal('support'), Type.Literal('superadmin')]);

export const StaffParams = Type.Object(
  { email: Type.String({ format: 'email', minLength: 1, maxLength: 254, description: "The staff account's e-mail" }) },
  closed,
);

export const StaffView = Type.Object(
  {
    id: Type.String(),
    email: Type.String({ format: 'email' }),
    name: Nullable(Type.String()),
    role: Type.Union([Type.Literal('customer'), StaffRole]),
    createdAt: DateTime,
    liveSessions: Type.Integer({ description: 'Sign-ins not yet ended' }),
  },
  closed,
);
export const StaffList = Type.Object({ staff: Type.Array(StaffView) }, closed);

export const NewStaffBody = Type.Object(
  {
    email: Type.String({ format: 'email', minLength: 3, maxLength: 254 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: StaffRole,
    reason: Reason,
  },
  closed,
);

export const NewStaff = Type.Object(
  {
    staff: StaffView,
    password: Type.String({ description: 'Shown once' }),
    totpSecret: Type.String({ description: 'Base32 TOTP secret for the authenticator app; shown once' }),
    otpauthUri: Type.String({ description: 'The same secret as an otpauth:// URI (QR code); shown once' }),
  },
  closed,
);

export const StaffRoleBody = Type.Object({ role: StaffRole, reason: Reason }, closed);
export const StaffRemoved = Type.Object({ email: Type.String({ format: 'email' }) }, closed);

// ----- fleet upgrades (SPEC F3) ------------------------------------------------------------------------------------
export const FleetUpgradeBody = Type.Object(
  {
    image: Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'The photo-app image to run, e.g. ghcr.io/immich-app/immich-server:v3.3.0 (on every host already)',
    }),
    reason: Reason,
    canary: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Instances in the first wave (1)' })),
    growth: Type.Optional(
      Type.Number({ minimum: 1, maximum: 10, description: 'Each wave this many times the last (2)' }),
    ),
    maxWave: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'The largest wave (25)' })),
    maxFailureRate: Type.Optional(
      Type.Number({
        minimum: 0,
        exclusiveMaximum: 1,
        description: 'A wave in which more than this fraction failed halts the rollout (0: any failure halts)',
      }),
    ),
  },
  closed,
);
export const FleetUpgradeParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);
export const FleetUpgradeListQuery = Type.Object({ limit: Type.Optional(Limit) }, closed);
const FleetInstance = Type.Object({
  instanceId: Type.String(),
  subdomain: Type.String(),
  status: Type.String({
    description: 'pending, upgrading, upgraded, rolled-back, failed, skipped or untouched',
  }),
  detail: Type.Optional(Type.String()),
});
export const FleetUpgradeView = Type.Object({
  id: Type.String(),
  appImage: Type.String(),
  reason: Type.String(),
  startedBy: Nullable(Type.String()),
  state: Type.String({ description: 'running, paused, halted, completed or cancelled' }),
  stateReason: Nullable(Type.String()),
  policy: Type.Object({
    canary: Type.Integer(),
    growth: Type.Number(),
    maxWave: Type.Integer(),
    maxFailureRate: Type.Number(),
  }),
  waves: Type.Array(Type.Object({ index: Type.Integer(), instances: Type.Array(FleetInstance) })),
  counts: Type.Record(Type.String(), Type.Integer(), { description: 'Instances by status' }),
  createdAt: DateTime,
  updatedAt: DateTime,
  finishedAt: Nullable(DateTime),
});
export const FleetUpgradeList = Type.Object({ upgrades: Type.Array(FleetUpgradeView) });
