/**
 * The third-party GitHub Actions the workflows `slipway init` writes use, each pinned by full
 * commit SHA (a tag can move; a commit cannot), with its release in a comment. The newest
 * release of the major version this repository's own workflows use.
 */
export const ACTIONS = {
  checkout: {
    uses: "actions/checkout",
    sha: "11d5960a326750d5838078e36cf38b85af677262",
    version: "v4.4.0",
  },
  setupNode: {
    uses: "actions/setup-node",
    sha: "49933ea5288caeca8642d1e84afbd3f7d6820020",
    version: "v4.4.0",
  },
  pulumi: {
    uses: "pulumi/actions",
    sha: "8582a9e8cc630786854029b4e09281acd6794b58",
    version: "v6.6.1",
  },
  buildx: {
    uses: "docker/setup-buildx-action",
    sha: "8d2750c68a42422c14e847fe6c8ac0403b4cbd6f",
    version: "v3.12.0",
  },
  oras: {
    uses: "oras-project/setup-oras",
    sha: "22ce207df3b08e061f537244349aac6ae1d214f6",
    version: "v1.2.4",
  },
  syft: {
    uses: "anchore/sbom-action/download-syft",
    sha: "e22c389904149dbc22b58101806040fa8d37a610",
    version: "v0.24.0",
  },
  trivy: {
    uses: "aquasecurity/setup-trivy",
    sha: "81e514348e19b6112ce2a7e3ecbafe19c1e1f567",
    version: "v0.3.1",
  },
  cosign: {
    uses: "sigstore/cosign-installer",
    sha: "7e8b541eb2e61bf99390e1afd4be13a184e9ebc5",
    version: "v3.10.1",
  },
  githubScript: {
    uses: "actions/github-script",
    sha: "f28e40c7f34bde8b3046d885e986cb6290c5673b",
    version: "v7.1.0",
  },
} as const;

type ActionName = keyof typeof ACTIONS;

/** `owner/repo@<sha> # <version>`: what a workflow's `uses:` says. */
export function pinned(name: ActionName): string {
  const action = ACTIONS[name];
  return `${action.uses}@${action.sha} # ${action.version}`;
}
