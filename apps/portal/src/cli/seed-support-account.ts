// `npm start` seeds one support account (DESIGN "The two commands"): made if absent, given a new generated password
// at every start (only its argon2id hash is stored, so an old one cannot be shown again), and printed once as JSON
// on stdout for the start banner.
import { createPrismaClient } from '@photoplane/db';
import { normaliseEmail } from '@photoplane/tenant-model';
import { readPortalConfig } from '../config.ts';
import { createPasswordService } from '../services/password.service.ts';
import { generatePassword } from '../services/random-password.ts';

const config = readPortalConfig();
const email = config.staffEmail ?? 'support@photoplane.localhost';
const prisma = createPrismaClient(config.databaseUrl, { maxConnections: 1 });
try {
  const password = generatePassword();
  const passwordHash = await createPasswordService().hashPassword(password);
  const emailNormalized = normaliseEmail(email);
  await prisma.account.upsert({
    where: { emailNormalized },
    update: { passwordHash, role: 'support' },
    create: { email, emailNormalized, name: 'Support', role: 'support', passwordHash, emailVerifiedAt: new Date() },
  });
  process.stdout.write(`${JSON.stringify({ email, password })}\n`);
} finally {
  await prisma.$disconnect();
}
