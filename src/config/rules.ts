/**
 * Rules for single config values that other systems (OpenSSH, GitHub, HTTP) would refuse
 * later, with the reason in words. Each returns undefined when the value is fine.
 */

/** Public key types OpenSSH accepts in known_hosts (`ssh -Q key`). */
const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "ssh-dss",
] as const;

const SSH_KEY_EXAMPLE =
  'give the line "<type> <base64 key>" that ssh-keyscan prints or /etc/ssh/ssh_host_ed25519_key.pub holds';

/**
 * Why `text` is not an SSH public key (`ssh-ed25519 AAAA… [comment]`), or undefined. The
 * base64 blob must decode and begin with its own key type, as OpenSSH checks it.
 */
export function sshPublicKeyProblem(text: string): string | undefined {
  const [type = "", blob = ""] = text.trim().split(/\s+/);
  if (/[\r\n]/.test(text.trim())) {
    return `is not an SSH public key: it has more than one line; ${SSH_KEY_EXAMPLE}`;
  }
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return `is not an SSH public key: ${JSON.stringify(type)} is not a key type (${SSH_KEY_TYPES.slice(0, 3).join(", ")}, …); ${SSH_KEY_EXAMPLE}`;
  }
  if (blob === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) {
    return `is not an SSH public key: the key after ${type} is not base64; ${SSH_KEY_EXAMPLE}`;
  }
  const bytes = Buffer.from(blob, "base64");
  const length = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const inner = length >= 0 && length <= bytes.length - 4 ? bytes.subarray(4, 4 + length) : "";
  if (inner.toString("latin1") !== type) {
    return `is not an SSH public key: the base64 key does not encode a ${type} key; ${SSH_KEY_EXAMPLE}`;
  }
  return undefined;
}

/** GitHub's limit on an environment name's length. */
const MAX_ENVIRONMENT_NAME = 255;

/**
 * Why GitHub would refuse `name` as a deployment environment name, or undefined: 1 to 255
 * characters, letters, digits, spaces and `. _ - /`, no space at either end.
 */
export function environmentNameProblem(name: string): string | undefined {
  if (name.trim() === "") {
    return "is empty; give the environment name workflows use in environment:, e.g. production";
  }
  if (name.length > MAX_ENVIRONMENT_NAME) {
    return `has ${name.length} characters; GitHub allows at most ${MAX_ENVIRONMENT_NAME}`;
  }
  if (!/^[\p{L}\p{N} ._\-/]+$/u.test(name)) {
    return `${JSON.stringify(name)} is not an environment name GitHub accepts: letters, digits, spaces and . _ - /`;
  }
  if (name !== name.trim()) {
    return `${JSON.stringify(name)} starts or ends with a space; GitHub trims it, so workflows would not match`;
  }
  return undefined;
}

/** Why `value` cannot be an HTTP health-check path, or undefined. */
export function healthPathProblem(value: string): string | undefined {
  if (!value.startsWith("/")) {
    return "must start with /";
  }
  if (/[\s\p{Cc}]/u.test(value)) {
    return `${JSON.stringify(value)} has a space or control character; a URL path has none (write a space as %20)`;
  }
  return undefined;
}

/**
 * Environment variables that the GitHub provider lets override a provider's `owner`; every
 * request would then go to that account while Slipway's messages name the configured one.
 */
const GITHUB_OWNER_VARIABLES = ["GITHUB_OWNER", "GITHUB_ORGANIZATION"] as const;

/**
 * Why the process environment would redirect the GitHub provider away from `owner`: one
 * message per variable that is set to another account (GitHub logins are case-insensitive).
 */
export function ownerOverrideProblems(
  owner: string,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return GITHUB_OWNER_VARIABLES.flatMap((variable) => {
    const value = env[variable];
    return value === undefined || value === "" || value.toLowerCase() === owner.toLowerCase()
      ? []
      : [
          `is ${JSON.stringify(owner)}, but ${variable}=${JSON.stringify(value)} is set and the GitHub provider would ` +
            `send every request to ${JSON.stringify(value)}; unset ${variable} or make it match`,
        ];
  });
}
