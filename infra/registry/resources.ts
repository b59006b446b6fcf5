import * as pulumi from "@pulumi/pulumi";
import { dockerHubProvider } from "./docker-hub-provider";

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
