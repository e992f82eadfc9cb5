// The operator's script is a rendering of the same rules the stack installs (tenant-firewall.ts); the rules' effect
// is tested against real containers in apps/provisioner/test/tenant-containment.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import {
  BLOCKED_RANGES,
  EDGE_PORTS,
  FORWARD_CHAIN,
  INPUT_CHAIN,
  TENANT_BRIDGE_WILDCARD,
  tenantChainRules,
  tenantFirewallScript,
} from '../src/tenant-firewall.ts';

test('the operator script creates both chains, refuses every blocked range, and jumps from DOCKER-USER and INPUT once', () => {
  const script = tenantFirewallScript();
  const out = execFileSync('npm', ['run', '-s', 'tenant-firewall'], { encoding: 'utf8' });
  assert.equal(out, script, '`npm run -s tenant-firewall` prints it');
  for (const range of BLOCKED_RANGES)
    assert.ok(script.includes(`-A ${FORWARD_CHAIN} -d ${range} -j REJECT`), `${range} refused`);
  for (const m of ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8'])
    assert.ok(BLOCKED_RANGES.includes(m), m);
  assert.match(
    script,
    new RegExp(
      `iptables -w -C DOCKER-USER -i ppt\\+ -j ${FORWARD_CHAIN} 2>/dev/null \\|\\| iptables -w -I DOCKER-USER 1 -i ppt\\+ -j ${FORWARD_CHAIN}`,
    ),
  );
  assert.match(script, new RegExp(`-I INPUT 1 -i ppt\\+ -j ${INPUT_CHAIN}`));
  assert.equal(TENANT_BRIDGE_WILDCARD, 'ppt+');
  // Replies to connections made into a container pass first, then the edge's public ports (an app on the edge's
  // machine reaches its own instance's address there); everything else to the host is refused.
  assert.deepEqual(tenantChainRules()[INPUT_CHAIN][1], [
    '-p',
    'tcp',
    '-m',
    'multiport',
    '--dports',
    EDGE_PORTS.join(','),
    '-j',
    'RETURN',
  ]);
  assert.deepEqual(EDGE_PORTS, [80, 443]);
  assert.deepEqual(tenantChainRules()[INPUT_CHAIN].at(-1), ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
  const shellCheck = execFileSync('sh', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(shellCheck, '');
});
