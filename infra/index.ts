/**
 * What `import * as slipway from "slipway"` gives a team that composes its own Pulumi program
 * (the way pulumi-awsx is used): the components and their argument types, the config loader
 * and its validated shape, and the stack-output contract the CLI reads. A team that only
 * configures stacks points its Pulumi.yaml `main` at the program instead
 * (`node_modules/slipway/stacks/main.js`, exported as `slipway/program`).
 */
export {
  HostAccessory,
  HostDeployment,
  type HostAccessoryArgs,
  type HostConnectionArgs,
  type HostDeploymentArgs,
} from "./deploy";
export { EdgeProxy, type EdgeProxyArgs } from "./edge";
export { DeploymentEnvironment, type DeploymentEnvironmentArgs } from "./github";
export {
  Attestation,
  ImageBuild,
  MovingTags,
  type AttestationArgs,
  type ImageBuildArgs,
  type MovingTagsArgs,
} from "./images";
export {
  DockerHubRepository,
  RegistryRepository,
  type DockerHubRepositoryArgs,
  type RegistryRepositoryArgs,
} from "./registry";
export { SupplyChain, Verification, type SupplyChainArgs, type VerificationArgs } from "./supply";
export {
  RolloutGuard,
  ServiceDeployment,
  type RolloutGuardArgs,
  type ServiceDeploymentArgs,
} from "./kubernetes";
export { ConfigError, loadConfig, projectRoot, type SlipwayConfig } from "../src/config";
export type * from "../src/outputs/contract";
