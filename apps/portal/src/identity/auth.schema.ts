// Request and response bodies of the account and session routes (SPEC P1, P2). Every object refuses unknown
// fields. Lengths here are the first line of defence (and the OpenAPI documentation); the services re-check
// the rules that matter, since the CLI calls them too.
import { Type } from '@fastify/type-provider-typebox';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../platform/password.service.ts';

const closed = { additionalProperties: false } as const;

const Email = Type.String({
  format: 'email',
  minLength: 1,
  maxLength: 254,
  description: 'E-mail address',
  examples: ['ada@example.com'],
});
const NewPassword = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_LENGTH,
  description: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
});
// No minimum at sign-in: the policy may have changed since the password was set. The maximum keeps hashing cheap.
const CurrentPassword = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });
// Tokens are 43 base64url characters; the bound only refuses absurd input before it is hashed.
const LinkToken = Type.String({ minLength: 1, maxLength: 512, description: 'The token from the e-mailed link' });

export const SignUpBody = Type.Object(
  {
    email: Email,
    password: NewPassword,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  closed,
);

export const VerifyEmailBody = Type.Object({ token: LinkToken }, closed);

export const LoginBody = Type.Object(
  {
    email: Email,
    password: CurrentPassword,
    totpCode: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 12,
        description:
          "Staff accounts: the 6-digit code from the authenticator app (401 naming `totpCode` when it's missing)",
      }),
    ),
  },
  closed,
);

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token last issued' }) },
  closed,
);

export const PasswordResetRequestBody = Type.Object({ email: Email }, closed);

export const PasswordResetConfirmBody = Type.Object({ token: LinkToken, password: NewPassword }, closed);

export const Accepted = Type.Object(
  {
    status: Type.Literal('accepted'),
    message: Type.String(),
  },
  { ...closed, description: 'The same answer whether or not the address has an account' },
);

export const TokenPair = Type.Object(
  {
    accessToken: Type.String({ description: 'Bearer token for the Authorization header (JWT, HS256)' }),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
    refreshToken: Type.String({ description: 'Single use: trade it at /v1/auth/refresh for a new pair' }),
  },
  closed,
);

export const Me = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String({ format: 'email' }),
    name: Type.Union([Type.String(), Type.Null()]),
    role: Type.Union([Type.Literal('customer'), Type.Literal('support'), Type.Literal('superadmin')]),
    emailVerified: Type.Boolean(),
  },
  closed,
);
