/** `slipway:registry`: where images are pushed and pulled, its schema and its checks. */
import { z } from "zod";
import { REGISTRY_PATTERN, REPOSITORY_COMPONENT_PATTERN } from "../reference";
import { plain, secret } from "./primitives";
import { asMap, has, type Add, type RawMap } from "./raw";
import { repositoriesSchema } from "./registry-repositories";
import { Secret } from "./secret";

export const registrySchema = z.strictObject({
  server: plain
    .regex(REGISTRY_PATTERN, "is not a registry host[:port], e.g. ghcr.io")
    .describe("Registry host and optional port: `ghcr.io`, `docker.io`, `127.0.0.1:5000`."),
  namespace: plain
    .refine(
      (value) => value.split("/").every((part) => REPOSITORY_COMPONENT_PATTERN.test(part)),
      "is not a repository path: lowercase components separated by /, e.g. acme or acme/team",
    )
    .optional()
    .describe(
      "Path prefix below the server, e.g. an organisation: `acme` gives `ghcr.io/acme/<image>`. Required on Docker Hub.",
    ),
  username: plain
    .optional()
    .describe(
      "Login for pushing and pulling; both `username` and `password`, or neither (an open registry). On Docker Hub both are required (an access token).",
    ),
  password: secret.optional().describe("Password or token for `username`; a Pulumi secret."),
  insecure: z
    .boolean()
    .default(false)
    .describe("Plain-HTTP registry (loopback development registries only)."),
  repositories: repositoriesSchema.describe(
    "Per image of `slipway:images` (another name is an error): the repository's settings and retention; see docs/images.md#registry-repositories-and-retention.",
  ),
});

export type RegistryConfig = z.output<typeof registrySchema>;

/** The registry's credentials: one line each, both or neither. */
export function registryChecks(raw: RawMap, add: Add): void {
  const registry = asMap(raw.registry);
  if (registry?.password instanceof Secret && /[\n\r\0]/.test(registry.password.reveal())) {
    add(
      "registry",
      ["password"],
      "contains a line break, CR or NUL; a registry password or token is one line",
    );
  }
  if (registry !== undefined && has(registry, "username") !== has(registry, "password")) {
    const missing = has(registry, "username") ? "password" : "username";
    add(
      "registry",
      [missing],
      `is required when ${missing === "password" ? "username" : "password"} is set (set both for a private registry, or neither)`,
    );
  }
}
