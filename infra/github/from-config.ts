import * as pulumi from "@pulumi/pulumi";
import type { SlipwayConfig } from "../../src/config";
import { adminsBypass } from "../../src/github";
import { DeploymentEnvironment } from "./deployment-environment";

/**
 * The stack's GitHub deployment environment, from its validated `slipway:github` section; no
 * resource at all when the section is absent.
 */
export function deploymentEnvironment(
  name: string,
  config: SlipwayConfig,
  opts?: pulumi.ComponentResourceOptions,
): DeploymentEnvironment | undefined {
  const github = config.github;
  if (github === undefined) {
    return undefined;
  }
  const branches = github.deploymentBranches;
  return new DeploymentEnvironment(
    name,
    {
      owner: github.owner,
      ...(github.baseUrl === undefined ? {} : { baseUrl: github.baseUrl }),
      ...(github.token === undefined ? {} : { token: pulumi.secret(github.token.reveal()) }),
      repository: github.repository,
      environment: github.environment,
      reviewerUsers: github.reviewers.users,
      reviewerTeams: github.reviewers.teams,
      waitTimer: github.waitTimer,
      preventSelfReview: github.preventSelfReview,
      canAdminsBypass: adminsBypass(config.role, github.canAdminsBypass),
      protectedBranches: branches?.protectedBranches ?? false,
      branchPatterns: branches?.branches ?? [],
      tagPatterns: branches?.tags ?? [],
      secrets: Object.fromEntries(
        Object.entries(github.secrets).map(([key, secret]) => [
          key,
          pulumi.secret(secret.reveal()),
        ]),
      ),
      variables: github.variables,
    },
    opts,
  );
}
