import * as pulumi from "@pulumi/pulumi";
import { dockerHubProvider } from "./docker-hub-provider";
import { repositoryCheckProvider } from "./repository-check-provider";

/** Inputs of a DockerHubRepository. */
export interface DockerHubRepositoryArgs {
  /** Docker Hub user or organisation. */
  namespace: pulumi.Input<string>;
  /** Repository name inside the namespace. */
  name: pulumi.Input<string>;
  /** Short description (at most 100 characters). */
  description: pulumi.Input<string>;
  /** Private repository. */
  isPrivate: pulumi.Input<boolean>;
  /** Docker Hub's API origin. */
  apiUrl: pulumi.Input<string>;
  /** Docker Hub user the token belongs to. */
  username: pulumi.Input<string>;
  /** Docker Hub access token; kept secret in the state. */
  token: pulumi.Input<string>;
}

/** A Docker Hub repository, managed through Docker Hub's API by a dynamic provider. */
export class DockerHubRepository extends pulumi.dynamic.Resource {
  declare public readonly namespace: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly description: pulumi.Output<string>;
  declare public readonly isPrivate: pulumi.Output<boolean>;

  constructor(name: string, args: DockerHubRepositoryArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dockerHubProvider,
      name,
      { ...args, token: pulumi.secret(args.token) },
      { ...opts, additionalSecretOutputs: ["token"] },
      "slipway",
      "DockerHubRepository",
    );
  }
}

/** Inputs of a RepositoryCheck. */
export interface RepositoryCheckArgs {
  /** Registry host and optional port. */
  server: pulumi.Input<string>;
  /** Repository path below the server. */
  path: pulumi.Input<string>;
  /** Plain HTTP (loopback registries). */
  insecure: pulumi.Input<boolean>;
  /** Digest that must be in the repository; empty for none. */
  digest: pulumi.Input<string>;
  /** Source URL the image's source label must name; empty for no label check. */
  source: pulumi.Input<string>;
  /** Registry user; empty for anonymous. */
  username: pulumi.Input<string>;
  /** Registry password or token; kept secret in the state. */
  password: pulumi.Input<string>;
}

/** Verifies a repository on every change of its inputs (see repositoryCheckProvider). */
export class RepositoryCheck extends pulumi.dynamic.Resource {
  /** Tags the repository had when last checked. */
  declare public readonly tags: pulumi.Output<number>;

  constructor(name: string, args: RepositoryCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      repositoryCheckProvider,
      name,
      { ...args, password: pulumi.secret(args.password), tags: undefined },
      { ...opts, additionalSecretOutputs: ["password"] },
      "slipway",
      "RepositoryCheck",
    );
  }
}
