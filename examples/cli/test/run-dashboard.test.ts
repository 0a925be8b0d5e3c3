import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandbox, removeSandboxes, startLoompa, waitForOutput } from './cli-fixture.js';

afterEach(removeSandboxes);

const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((entry) => entry && entry.family === 'IPv4' && !entry.internal)?.address;

describe('loompa run --port --host', () => {
  it.skipIf(!outsideAddress)(
    'serves the dashboard beyond loopback, asking for the token the workflow names',
    { timeout: 120_000 },
    async () => {
      const token = 'cli-dashboard-token-7e21';
      const sandbox = await createSandbox({ frontMatter: { server: { api_token: '$CLI_DASHBOARD_TOKEN' } } });
      const loompa = startLoompa(['run', '--json', '--port', '0', '--host', '0.0.0.0'], {
        cwd: sandbox.repository,
        env: { CLI_DASHBOARD_TOKEN: token },
      });
      const announced = await waitForOutput(loompa.stderr!, (text) =>
        /dashboard at http:\/\/[^ ]+:\d+\//.test(text),
      );
      const port = /dashboard at http:\/\/[^ ]+:(\d+)\//.exec(announced)![1];
      const base = `http://${outsideAddress}:${port}`;

      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      const refused = await fetch(`${base}/api/v1/pause`, { method: 'POST' });
      expect(refused.status).toBe(401);
      const allowed = await fetch(`${base}/api/v1/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(allowed.status).toBe(200);
      const state = (await (
        await fetch(`${base}/api/v1/state`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { pause: { paused: boolean } };
      expect(state.pause.paused).toBe(true);

      loompa.kill('SIGINT');
      const result = await loompa;
      expect(result.exitCode).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toContain(token);
    },
  );
});
