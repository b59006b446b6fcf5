import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The stand-in key's text. */
export const FAKE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key\n-----END OPENSSH PRIVATE KEY-----\n";

/**
 * Points HOME at a stand-in holding the SSH key the local stacks name
 * (~/.cache/slipway/state/ssh/id_ed25519) and their cosign key (state/cosign/cosign.key), so
 * unit tests need no generated key (scripts/services.sh and scripts/supply-setup.sh make the
 * real ones), and puts stand-ins for syft, trivy, cosign, oras and jq first on PATH (never run
 * under mocks: the program only checks they exist). Returns the function that restores both.
 */
export function fakeHome(): () => void {
  const home = process.env.HOME;
  const pathBefore = process.env.PATH;
  const fake = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-home-"));
  const keyDir = path.join(fake, ".cache", "slipway", "state", "ssh");
  fs.mkdirSync(keyDir, { recursive: true });
  fs.writeFileSync(path.join(keyDir, "id_ed25519"), FAKE_KEY, { mode: 0o600 });
  const cosignDir = path.join(fake, ".cache", "slipway", "state", "cosign");
  fs.mkdirSync(cosignDir, { recursive: true });
  fs.writeFileSync(
    path.join(cosignDir, "cosign.key"),
    "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nunit-test-key\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
    { mode: 0o600 },
  );
  // A real public key (verification parses it), of a key pair nobody keeps.
  const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  fs.writeFileSync(
    path.join(cosignDir, "cosign.pub"),
    publicKey.export({ type: "spki", format: "pem" }).toString(),
  );
  const secrets = path.join(fake, ".cache", "slipway", "state", "secrets");
  fs.mkdirSync(secrets, { recursive: true });
  for (const name of ["postgres-password", "postgres-prod-password"]) {
    fs.writeFileSync(path.join(secrets, name), `unit-test-${name}\n`, { mode: 0o600 });
  }
  const tools = path.join(fake, "bin");
  fs.mkdirSync(tools);
  for (const tool of ["syft", "trivy", "cosign", "oras", "jq"]) {
    fs.writeFileSync(path.join(tools, tool), "#!/bin/sh\nexit 99\n", { mode: 0o755 });
  }
  process.env.PATH = `${tools}${path.delimiter}${pathBefore ?? ""}`;
  process.env.HOME = fake;
  return () => {
    process.env.HOME = home;
    process.env.PATH = pathBefore;
    fs.rmSync(fake, { recursive: true, force: true });
  };
}
