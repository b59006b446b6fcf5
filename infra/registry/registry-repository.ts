import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { registryKind, type RegistryKind } from "../../src/reference";
import type { CheckedOn } from "../../src/config/images";
import {
  checkedOnHostsScript,
  checkedOnTriggers,
  REPOSITORY_CHECK_AUTH_ENV,
  repositoryCheckScript,
} from "../../src/registry/check-script";
import { managedFields } from "../../src/registry/repository";
import { DOCKER_HUB_API_URL } from "../../src/registry/hub";
import { DockerHubRepository } from "./resources";
import { localScript } from "../local-script";

/** Inputs of a RegistryRepository. */
export interface RegistryRepositoryArgs {
  /**
   * Registry host and optional port. A plain string: it decides which resources the
   * repository has (Docker Hub's API, or a check).
   */
  server: string;
  /** Repository path below the server, `<namespace>/<image>`. */
  path: pulumi.Input<string>;
  /** `public` or `private`; managed on Docker Hub only. */
  visibility?: pulumi.Input<string>;
  /** Short description; managed on Docker Hub only. */
  description?: pulumi.Input<string>;
  /** How many of each per-build tag kind retention keeps. */
  keepDevVersions: pulumi.Input<number>;
  /** Plain-HTTP registry. */
  insecure?: pulumi.Input<boolean>;
  /** Registry user (on Docker Hub: the user the token belongs to). */
  username?: pulumi.Input<string>;
  /** Registry password or token (on Docker Hub: an access token). */
  password?: pulumi.Input<string>;
  /** GHCR and plain registries: a digest the repository must hold (pushed or pinned). */
  digest?: pulumi.Input<string>;
  /** GHCR: the source URL the image's `org.opencontainers.image.source` label must name. */
  source?: pulumi.Input<string>;
  /**
   * `hosts`: the pin's digest was checked on the hosts, the registry being unreachable
   * (`slipway rollback`); the check then only says so, without contacting the registry.
   */
  checkedOn?: CheckedOn;
  /** Docker Hub's API origin; tests pass a fake. */
  hubApiUrl?: pulumi.Input<string>;
}

/**
 * One image repository of a stack. On Docker Hub it is created and kept in line with the
 * config through Docker Hub's API; on GHCR and plain registries it is checked (it answers,
 * holds the digest, and on GHCR carries the source label that links the package). Every
 * child is `retainOnDelete`: destroying a stack never deletes a repository.
 */
export class RegistryRepository extends pulumi.ComponentResource {
  /** `server/path`. */
  public readonly repository: pulumi.Output<string>;
  /** `dockerhub`, `ghcr` or `oci`. */
  public readonly kind: pulumi.Output<RegistryKind>;
  /** The declared visibility, or `unmanaged` where the registry has no API for it. */
  public readonly visibility: pulumi.Output<string>;
  /** What Slipway manages or checks on this registry. */
  public readonly managed: pulumi.Output<string[]>;
  /** What stays with people, and where they set it. */
  public readonly unmanaged: pulumi.Output<string>;
  /** Retention: how many of each per-build tag kind are kept. */
  public readonly keepDevVersions: pulumi.Output<number>;

  constructor(name: string, args: RegistryRepositoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("slipway:registry:RegistryRepository", name, {}, opts);
    const kind = registryKind(args.server);
    const path = pulumi.output(args.path);
    if (kind === "dockerhub") {
      if (args.username === undefined || args.password === undefined) {
        throw new Error(
          `repository ${name} on Docker Hub needs a username and an access token to manage it`,
        );
      }
      const parts = path.apply((value) => value.split("/"));
      new DockerHubRepository(
        `${name}-hub`,
        {
          namespace: parts.apply((value) => value[0] ?? ""),
          name: parts.apply((value) => value.slice(1).join("/")),
          description: args.description ?? "",
          isPrivate: pulumi
            .output(args.visibility ?? "public")
            .apply((value) => value === "private"),
          apiUrl: args.hubApiUrl ?? DOCKER_HUB_API_URL,
          username: args.username,
          token: args.password,
        },
        { parent: this, retainOnDelete: true },
      );
    } else {
      checkRepository(`${name}-check`, args, kind === "ghcr", this);
    }
    const fields = managedFields(kind);
    this.repository = pulumi.interpolate`${args.server}/${path}`;
    this.kind = pulumi.output(kind);
    this.visibility =
      kind === "dockerhub"
        ? pulumi.output(args.visibility ?? "public")
        : pulumi.output("unmanaged");
    this.managed = pulumi.output([...fields.managed]);
    this.unmanaged = pulumi.output(fields.unmanaged);
    this.keepDevVersions = pulumi.output(args.keepDevVersions);
    this.registerOutputs({
      repository: this.repository,
      kind: this.kind,
      visibility: this.visibility,
      managed: this.managed,
      unmanaged: this.unmanaged,
      keepDevVersions: this.keepDevVersions,
    });
  }
}

/**
 * The check of a GHCR or plain-registry repository: a local command (the `command` provider
 * every stack starts anyway) that runs `repositoryCheckScript` (on stdin) when the repository, the digest
 * or the expected source changes, and fails the update with the reason. It owns nothing, so
 * it has no delete; `pulumi refresh` does not run it again.
 */
function checkRepository(
  name: string,
  args: RegistryRepositoryArgs,
  labelled: boolean,
  parent: pulumi.Resource,
): command.local.Command {
  const path = pulumi.output(args.path);
  const insecure = pulumi.output(args.insecure ?? false);
  const digest = pulumi.output(args.digest ?? "");
  const source = pulumi.output(labelled ? (args.source ?? "") : "");
  const username = args.username === undefined ? undefined : pulumi.output(args.username);
  const script = pulumi
    .all([path, insecure, digest, source, username])
    .apply(([pathValue, insecureValue, digestValue, sourceValue, user]) =>
      args.checkedOn === "hosts" && digestValue !== ""
        ? checkedOnHostsScript("repository check", `${args.server}/${pathValue}@${digestValue}`)
        : repositoryCheckScript({
            server: args.server,
            path: pathValue,
            insecure: insecureValue,
            ...(digestValue === "" ? {} : { digest: digestValue }),
            ...(sourceValue === "" ? {} : { source: sourceValue }),
            ...(user === undefined ? {} : { username: user }),
          }),
    );
  const environment: Record<string, pulumi.Input<string>> = {};
  if (args.username !== undefined && args.password !== undefined) {
    environment[REPOSITORY_CHECK_AUTH_ENV] = pulumi.secret(
      pulumi
        .all([args.username, args.password])
        .apply(([user, password]) => Buffer.from(`${user}:${password}`).toString("base64")),
    );
  }
  return localScript(
    name,
    {
      script,
      onStdin: "create and update",
      environment,
      // A check skipped for an unreachable registry runs again once the pin is written anew.
      triggers: [args.server, path, insecure, digest, source, ...checkedOnTriggers(args.checkedOn)],
    },
    { parent, retainOnDelete: true },
  );
}
