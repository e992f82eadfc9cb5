// The portal's plugin tree: external plugins, then our decorators, then routes (fastify/demo's order).
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import errorHandler from './plugins/error-handler.ts';
import healthRoutes from './routes/health/index.ts';
import { Problem } from './schemas/problem.schema.ts';
import type { ReadinessService } from './services/readiness.service.ts';

export interface Services {
  readiness: ReadinessService;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface AppOptions {
  services: Services;
  logger?: FastifyServerOptions['logger'];
  bodyLimit?: number;
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.refreshToken',
  '*.secret',
];

export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // Unknown fields are refused, not silently dropped: a typo in a field name must not look like success.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Photoplane portal API',
        version: '0.1.0',
        description: 'Customers, instances, members and support.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addSchema(Problem);
  app.decorate('services', opts.services);
  await app.register(errorHandler);

  await app.register(healthRoutes);
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
