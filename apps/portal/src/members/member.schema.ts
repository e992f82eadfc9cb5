// Request and response bodies of the instance member routes (SPEC M1-M8) and of member sign-in at the instance
// realm. Every object refuses unknown fields; the services re-check the rules that matter.
import { Type } from '@fastify/type-provider-typebox';
import { MAX_DELETION_DELAY_DAYS, MIN_DELETION_DELAY_DAYS } from '@photoplane/tenant-model';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../platform/password.service.ts';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Bytes = Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string' });

export const InstanceParams = Type.Object(
  { subdomain: Type.String({ minLength: 1, maxLength: 63, description: 'The instance, by its subdomain' }) },
  closed,
);

// Deliberately not format: uuid. Anything that names no member of this instance answers the same 404.
export const MemberParams = Type.Object(
  {
    subdomain: Type.String({ minLength: 1, maxLength: 63 }),
    id: Type.String({ minLength: 1, maxLength: 64, description: 'Member id' }),
  },
  closed,
);

export const MemberListQuery = Type.Object(
  { search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of a name or e-mail address' })) },
  closed,
);

const AssignableRole = Type.Union([
  Type.Literal('admin'),
  Type.Literal('user'),
  Type.Literal('viewer'),
  Type.Literal('guest'),
]);
const QuotaGiB = Type.Integer({ minimum: 0, maximum: 1024 * 1024, description: 'Storage quota in GiB; 0 = unlimited' });
const StorageLabel = Nullable(
  Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'Replaces the member id in the upload path; null clears it',
  }),
);
const NewPassword = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH });

export const NewMemberBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    email: Type.String({ format: 'email', minLength: 1, maxLength: 254 }),
    quotaGiB: Type.Optional(QuotaGiB),
    storageLabel: Type.Optional(StorageLabel),
    role: Type.Optional(AssignableRole),
    mode: Type.Union([Type.Literal('invite'), Type.Literal('password')], {
      description: "'invite': an e-mailed single-use link; 'password': a random password shown once in the answer",
    }),
    mustChangePassword: Type.Optional(Type.Boolean({ description: "'password' mode only; default true" })),
  },
  closed,
);

export const MemberPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    role: Type.Optional(AssignableRole),
    quotaGiB: Type.Optional(QuotaGiB),
    storageLabel: Type.Optional(StorageLabel),
    noLogin: Type.Optional(Type.Boolean({ description: 'true: sign-in refused (disabled)' })),
  },
  { ...closed, minProperties: 1 },
);

export const DeleteMemberBody = Type.Object(
  {
    immediate: Type.Optional(Type.Boolean({ description: 'Remove at once, irreversibly' })),
    confirm: Type.Optional(
      Type.String({ maxLength: 254, description: "The member's e-mail; required when immediate" }),
    ),
  },
  closed,
);

export const SettingsBody = Type.Object(
  {
    deletionDelayDays: Type.Integer({
      minimum: MIN_DELETION_DELAY_DAYS,
      maximum: MAX_DELETION_DELAY_DAYS,
      description: 'Days between deleting a member and removing their data',
    }),
  },
  closed,
);

export const Settings = Type.Object({ deletionDelayDays: Type.Integer() }, closed);

export const RegisterBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 512, description: 'The token from the invitation link' }),
    password: NewPassword,
  },
  closed,
);

const MemberRole = Type.Union(['owner', 'admin', 'user', 'viewer', 'guest'].map((r) => Type.Literal(r)));
const MemberStatus = Type.Union(
  ['invited', 'active', 'disabled', 'pending_deletion', 'deleted'].map((s) => Type.Literal(s)),
);

export const MemberView = Type.Object(
  {
    id: Type.String(),
    email: Type.String({ format: 'email' }),
    name: Type.String(),
    role: MemberRole,
    status: MemberStatus,
    quotaGiB: Type.Integer({ description: '0 = unlimited' }),
    quotaBytes: Nullable(Bytes),
    usageBytes: Bytes,
    storageLabel: Nullable(Type.String()),
    mustChangePassword: Type.Boolean(),
    noLogin: Type.Boolean(),
    deletion: Nullable(
      Type.Object(
        {
          requestedAt: Type.String({ format: 'date-time' }),
          immediate: Type.Boolean(),
          deleteAt: Type.String({ format: 'date-time', description: "Under the instance's current delay" }),
        },
        closed,
      ),
    ),
    createdAt: Type.String({ format: 'date-time' }),
  },
  closed,
);

export const MemberList = Type.Object({ members: Type.Array(MemberView) }, closed);

export const CreatedMember = Type.Object(
  {
    member: MemberView,
    password: Type.Optional(Type.String({ description: "'password' mode: shown this once, never again" })),
    invitationExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);

export const PasswordReset = Type.Object(
  { member: MemberView, password: Type.String({ description: 'Shown this once; must be changed at next sign-in' }) },
  closed,
);

export const MemberStats = Type.Object(
  {
    planBytes: Bytes,
    usedBytes: Bytes,
    allocatedBytes: Bytes,
    unallocatedBytes: Bytes,
    freeBytes: Bytes,
    usedPercent: Type.Number(),
    members: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          name: Type.String(),
          email: Type.String({ format: 'email' }),
          status: MemberStatus,
          usageBytes: Bytes,
          quotaGiB: Type.Integer(),
          quotaBytes: Nullable(Bytes),
          effectiveLimitBytes: Bytes,
          quotaPercent: Nullable(Type.Number({ description: 'null for unlimited members' })),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const MemberLoginBody = Type.Object(
  {
    email: Type.String({ format: 'email', minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
    totpCode: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 16,
        description: 'The 6-digit code from the authenticator app, once two-factor authentication is on (U6)',
      }),
    ),
  },
  closed,
);

export const MemberRefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token last issued' }) },
  closed,
);

export const MemberToken = Type.Object(
  {
    accessToken: Type.String({
      description: 'Bearer token for this instance only (audience photoplane-instance:<id>)',
    }),
    expiresIn: Type.Integer(),
    refreshToken: Type.String({ description: 'Works once: trade it at auth/refresh for a new pair' }),
    mustChangePassword: Type.Boolean({ description: 'true: only change-password is allowed until it is changed' }),
  },
  closed,
);

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }), newPassword: NewPassword },
  closed,
);

export const MemberSelf = Type.Object(
  {
    id: Type.String(),
    email: Type.String({ format: 'email' }),
    name: Type.String(),
    role: MemberRole,
    mustChangePassword: Type.Boolean(),
  },
  closed,
);

/**
 * A problem whose extension members (bytesAvailable, planBytes, allocatedBytes) must reach the client: the shared
 * Problem schema would make the serializer drop them.
 */
export function quotaProblem(description: string) {
  return {
    description,
    content: {
      'application/problem+json': {
        schema: Type.Object(
          {
            type: Type.String(),
            title: Type.String(),
            status: Type.Integer(),
            detail: Type.Optional(Type.String()),
            bytesAvailable: Type.Optional(Bytes),
          },
          { additionalProperties: true },
        ),
      },
    },
  };
}
