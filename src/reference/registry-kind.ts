/**
 * What Slipway can manage of a repository depends on the registry: Docker Hub has an API for
 * a repository's description and privacy; GHCR creates a package on the first push and links
 * it to a GitHub repository through the image's source label, with visibility and access set
 * in the package settings; a plain OCI registry has repositories and nothing else to set.
 */
export type RegistryKind = "dockerhub" | "ghcr" | "oci";

const DOCKER_HUB_SERVERS = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/** The kind of registry a `slipway:registry.server` names. */
export function registryKind(server: string): RegistryKind {
  if (DOCKER_HUB_SERVERS.includes(server)) {
    return "dockerhub";
  }
  return server === "ghcr.io" ? "ghcr" : "oci";
}
