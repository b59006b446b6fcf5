import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The stand-in key's text. */
export const FAKE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key\n-----END OPENSSH PRIVATE KEY-----\n";

/**
 * Points HOME at a stand-in holding the SSH key the local stacks name
 * (~/.cache/slipway/state/ssh/id_ed25519), so unit tests need no generated key
 * (scripts/services.sh makes the real one). Returns the function that restores HOME.
 */
export function fakeHome(): () => void {
  const home = process.env.HOME;
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-home-"));
  const keyDir = path.join(fake, ".cache", "slipway", "state", "ssh");
  fs.mkdirSync(keyDir, { recursive: true });
  fs.writeFileSync(path.join(keyDir, "id_ed25519"), FAKE_KEY, { mode: 0o600 });
  process.env.HOME = fake;
  return () => {
    process.env.HOME = home;
    fs.rmSync(fake, { recursive: true, force: true });
  };
}
