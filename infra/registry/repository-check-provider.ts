import type * as pulumi from "@pulumi/pulumi";
import { RegistryClient } from "../../src/registry/client";
import { checkRepository } from "../../src/registry/repository";

/** The state of a repository check (inputs and outputs alike). */
export interface RepositoryCheckState {
  /** Registry host and optional port. */
  readonly server: string;
  /** Repository path below the server. */
  readonly path: string;
  readonly insecure: boolean;
  /** A digest that must be in the repository; empty for none. */
  readonly digest: string;
  /** The source the image's `org.opencontainers.image.source` must name; empty for no check. */
  readonly source: string;
  readonly username: string;
  /** Password or token for `username`; a secret. */
  readonly password: string;
  /** How many tags the repository had when last checked (output). */
  readonly tags?: number;
}

async function checkState(state: RepositoryCheckState): Promise<RepositoryCheckState> {
  const password = state.password;
  const client = new RegistryClient({
    server: state.server,
    insecure: state.insecure,
    ...(state.username === ""
      ? {}
      : { username: state.username, password: { reveal: () => password } }),
  });
  const result = await checkRepository({
    client,
    path: state.path,
    ...(state.digest === "" ? {} : { digest: state.digest }),
    ...(state.source === "" ? {} : { source: state.source }),
  });
  return { ...state, tags: result.tags };
}

/**
 * A check, as a dynamic resource: create and update verify the repository (it answers, holds
 * the digest, carries the source label) and fail the update with the reason otherwise. It
 * manages nothing, so delete does nothing.
 */
export const repositoryCheckProvider: pulumi.dynamic.ResourceProvider = {
  diff(_id: string, olds: RepositoryCheckState, news: RepositoryCheckState) {
    const keys = ["server", "path", "insecure", "digest", "source"] as const;
    return Promise.resolve({ changes: keys.some((key) => olds[key] !== news[key]), replaces: [] });
  },

  async create(inputs: RepositoryCheckState) {
    return { id: `${inputs.server}/${inputs.path}`, outs: await checkState(inputs) };
  },

  async read(id: string, props: RepositoryCheckState) {
    return { id, props: await checkState(props) };
  },

  async update(_id: string, _olds: RepositoryCheckState, news: RepositoryCheckState) {
    return { outs: await checkState(news) };
  },

  delete() {
    // A check owns nothing.
    return Promise.resolve();
  },
};
