// Request and response bodies of a member's own account (SPEC U1-U6, seed 003). Every object refuses unknown
// fields, so a misspelt preference is an error, not a silent no-op.
import { Type } from '@fastify/type-provider-typebox';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../platform/password.service.ts';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Bytes = Type.String({ pattern: '^[0-9]+$', description: 'Bytes, as a decimal string' });
const DateTime = Type.String({ format: 'date-time' });

// Deliberately not format: uuid. Anything that names none of the member's own things answers the same 404.
export const OwnItemParams = Type.Object(
  {
    subdomain: Type.String({ minLength: 1, maxLength: 63 }),
    id: Type.String({ minLength: 1, maxLength: 64 }),
  },
  closed,
);

const MemberRole = Type.Union(['owner', 'admin', 'user', 'viewer', 'guest'].map((r) => Type.Literal(r)));

export const MemberAccount = Type.Object(
  {
    id: Type.String(),
    email: Type.String({ format: 'email' }),
    name: Type.String(),
    role: MemberRole,
    mustChangePassword: Type.Boolean(),
    quotaGiB: Type.Integer({ description: '0 = unlimited' }),
    quotaBytes: Nullable(Bytes),
    usageBytes: Bytes,
    effectiveLimitBytes: Type.String({
      pattern: '^[0-9]+$',
      description: 'What may be stored now: the quota, or for unlimited members what the plan has left',
    }),
    twoFactorEnabled: Type.Boolean(),
  },
  closed,
);

export const AccountPatchBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, closed);

export const OwnPasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
    newPassword: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH }),
  },
  closed,
);

const KeyName = Type.String({ minLength: 1, maxLength: 100 });

export const ApiKeyBody = Type.Object({ name: KeyName }, closed);

export const ApiKeyView = Type.Object(
  { id: Type.String(), name: Type.String(), createdAt: DateTime, lastUsedAt: Nullable(DateTime) },
  closed,
);

export const CreatedApiKey = Type.Object(
  {
    apiKey: ApiKeyView,
    secret: Type.String({ description: 'Send it as the x-api-key header. Shown this once, never again' }),
  },
  closed,
);

export const ApiKeyList = Type.Object({ apiKeys: Type.Array(ApiKeyView) }, closed);

export const DeviceList = Type.Object(
  {
    devices: Type.Array(
      Type.Object(
        {
          id: Type.String({ description: 'Revoke with DELETE …/me/sessions/{id}' }),
          deviceType: Nullable(Type.String({ description: 'Browser or app, from the sign-in user agent' })),
          deviceOs: Nullable(Type.String()),
          signedInAt: DateTime,
          lastUsedAt: DateTime,
          current: Type.Boolean({ description: 'The session this request was made with' }),
        },
        closed,
      ),
    ),
  },
  closed,
);

const Theme = Type.Union([Type.Literal('system'), Type.Literal('light'), Type.Literal('dark')]);
const Locale = Nullable(Type.String({ minLength: 2, maxLength: 35, description: 'BCP 47 tag; null: the browser' }));

const preferenceFields = {
  theme: Theme,
  locale: Locale,
  displayOriginalPhotos: Type.Boolean({ description: 'Show the original instead of a thumbnail when web-ready' }),
  playVideoOnHover: Type.Boolean({ description: 'Play video thumbnails when hovered' }),
  permanentDeletionWarning: Type.Boolean({ description: 'Warn before deleting assets permanently' }),
  peopleLink: Type.Boolean({ description: 'A link to People in the sidebar' }),
  sharingLink: Type.Boolean({ description: 'A link to Sharing in the sidebar' }),
  memories: Type.Boolean({ description: 'Memories at the top of the timeline' }),
};

export const Preferences = Type.Object(preferenceFields, closed);

export const PreferencesPatch = Type.Object(
  {
    theme: Type.Optional(preferenceFields.theme),
    locale: Type.Optional(preferenceFields.locale),
    displayOriginalPhotos: Type.Optional(preferenceFields.displayOriginalPhotos),
    playVideoOnHover: Type.Optional(preferenceFields.playVideoOnHover),
    permanentDeletionWarning: Type.Optional(preferenceFields.permanentDeletionWarning),
    peopleLink: Type.Optional(preferenceFields.peopleLink),
    sharingLink: Type.Optional(preferenceFields.sharingLink),
    memories: Type.Optional(preferenceFields.memories),
  },
  { ...closed, minProperties: 1 },
);

export const TwoFactorStatus = Type.Object(
  {
    enabled: Type.Boolean({ description: 'Sign-in asks for a code' }),
    pending: Type.Boolean({ description: 'An enrolment waits for its confirming code' }),
  },
  closed,
);

export const TwoFactorEnrolment = Type.Object(
  {
    secret: Type.String({ description: 'Base32; type it into the authenticator app, or use the URI' }),
    otpauthUri: Type.String({ description: 'otpauth://totp/… for a QR code' }),
  },
  closed,
);

export const TwoFactorCodeBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 16, description: 'The current 6-digit code' }) },
  closed,
);
