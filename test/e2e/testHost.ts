/**
 * The sandbox portal under a non-loopback HTTPS name, as the end-to-end suite (and
 * `npm start -- --https`) need it.
 *
 * Why: code-server treats `openExternal` of a loopback URL (http://127.0.0.1:PORT/…) as port
 * forwarding and rewrites it to its own /proxy/PORT/ address, dropping the path and the query,
 * so the task-list URL the extension builds could not be checked. `portal.b24.test` (a reserved
 * .test name) resolves to 127.0.0.1 through /etc/hosts, and its certificate comes from a
 * throwaway CA that the system store trusts; VS Code's extension host reads the system store.
 * `bash scripts/setup-headless.sh` (as root) sets both up.
 */
import { promises as dns } from 'node:dns';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../launch/headless';
import { SandboxPortal, SandboxOptions } from '../sandbox';

export const TEST_HOST = 'portal.b24.test';
export const TLS_DIR = path.join(repoRoot, '.vscode-test', 'tls');

const SETUP_HINT = 'Run `bash scripts/setup-headless.sh` as root once: it adds '
  + `"127.0.0.1 ${TEST_HOST}" to /etc/hosts and creates a throwaway CA trusted by the system store.`;

export interface TestHostTls {
  key: Buffer;
  cert: Buffer;
}

/** Checks the /etc/hosts entry and the certificate files; throws with the set-up hint if not. */
export async function requireTestHost(): Promise<TestHostTls> {
  const problems: string[] = [];
  try {
    const { address } = await dns.lookup(TEST_HOST, { family: 4 });
    if (address !== '127.0.0.1') problems.push(`${TEST_HOST} resolves to ${address}, not 127.0.0.1`);
  } catch {
    problems.push(`${TEST_HOST} does not resolve`);
  }
  const files = ['portal.key', 'portal.crt', 'ca.crt'].map((name) => path.join(TLS_DIR, name));
  const missing = files.filter((file) => !fs.existsSync(file));
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (problems.length) throw new Error(`The HTTPS test host is not set up: ${problems.join('; ')}. ${SETUP_HINT}`);
  return { key: fs.readFileSync(files[0]), cert: fs.readFileSync(files[1]) };
}

/** Whether `requireTestHost()` would succeed (for optional use, e.g. `npm start -- --https`). */
export async function testHostReady(): Promise<boolean> {
  return requireTestHost().then(() => true, () => false);
}

/** The sandbox portal at https://portal.b24.test:PORT (listening on 127.0.0.1 only). */
export async function startHttpsSandbox(options: Omit<SandboxOptions, 'host' | 'tls'> = {}): Promise<SandboxPortal> {
  const tls = await requireTestHost();
  // Listening on the name binds the address it resolves to (127.0.0.1), and the portal's
  // origin, hence its webhook URLs, carry the name.
  const portal = await SandboxPortal.start({ ...options, host: TEST_HOST, tls });
  if (!portal.origin.startsWith(`https://${TEST_HOST}:`)) {
    await portal.close();
    throw new Error(`unexpected sandbox origin ${portal.origin}`);
  }
  return portal;
}
