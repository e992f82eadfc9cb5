// `npm run -s tenant-firewall > photoplane-tenant-firewall.sh` prints the tenant egress filter as a shell script, for
// an operator to run as root on a Docker host the project does not start (see docs/deployment.md, "Deployment: Docker hosts").
import { tenantFirewallScript } from './tenant-firewall.ts';

process.stdout.write(tenantFirewallScript());
