import type * as pulumi from "@pulumi/pulumi";
import {
  createHubRepository,
  deleteHubRepository,
  getHubRepository,
  hubLogin,
  updateHubRepository,
  type HubOptions,
  type HubRepository,
} from "../../src/registry/hub";

/**
 * The state of a Docker Hub repository resource (inputs and outputs alike). The credentials
 * stay in the state, as a secret, because read and delete get only the state.
 */
export interface DockerHubRepositoryState {
  readonly namespace: string;
  readonly name: string;
  readonly description: string;
  readonly isPrivate: boolean;
  /** Docker Hub's API origin. */
  readonly apiUrl: string;
  readonly username: string;
  /** Access token for `username`; a secret. */
  readonly token: string;
}

function hub(state: DockerHubRepositoryState): HubOptions {
  return { apiUrl: state.apiUrl, username: state.username, token: state.token };
}

function wanted(state: DockerHubRepositoryState): HubRepository {
  return {
    namespace: state.namespace,
    name: state.name,
    description: state.description,
    isPrivate: state.isPrivate,
  };
}

function withActual(
  state: DockerHubRepositoryState,
  actual: HubRepository,
): DockerHubRepositoryState {
  return { ...state, description: actual.description, isPrivate: actual.isPrivate };
}

/** Creates the repository, or adopts one that exists (another stack's, or a first push's). */
async function ensure(state: DockerHubRepositoryState): Promise<DockerHubRepositoryState> {
  const options = hub(state);
  const authorization = await hubLogin(options);
  const current = await getHubRepository(options, authorization, state.namespace, state.name);
  const result =
    current === undefined
      ? await createHubRepository(options, authorization, wanted(state))
      : await updateHubRepository(options, authorization, current, wanted(state));
  return withActual(state, result);
}

/**
 * A Pulumi dynamic provider for Docker Hub repositories: create (or adopt), read, update of
 * description and privacy, delete, and a diff that replaces only on a new name. A changed
 * token alone is no change.
 */
export const dockerHubProvider: pulumi.dynamic.ResourceProvider = {
  diff(_id: string, olds: DockerHubRepositoryState, news: DockerHubRepositoryState) {
    const replaces = (["namespace", "name"] as const).filter((key) => olds[key] !== news[key]);
    const updates = (["description", "isPrivate", "apiUrl"] as const).filter(
      (key) => olds[key] !== news[key],
    );
    return Promise.resolve({
      changes: replaces.length + updates.length > 0,
      replaces: [...replaces],
      deleteBeforeReplace: false,
    });
  },

  async create(inputs: DockerHubRepositoryState) {
    const outs = await ensure(inputs);
    return { id: `${inputs.namespace}/${inputs.name}`, outs };
  },

  async read(id: string, props: DockerHubRepositoryState) {
    const options = hub(props);
    const authorization = await hubLogin(options);
    const actual = await getHubRepository(options, authorization, props.namespace, props.name);
    // No id: the repository is gone, and a refresh drops it from the state.
    return actual === undefined ? {} : { id, props: withActual(props, actual) };
  },

  async update(_id: string, _olds: DockerHubRepositoryState, news: DockerHubRepositoryState) {
    return { outs: await ensure(news) };
  },

  async delete(_id: string, props: DockerHubRepositoryState) {
    const options = hub(props);
    const authorization = await hubLogin(options);
    await deleteHubRepository(options, authorization, props.namespace, props.name);
  },
};
