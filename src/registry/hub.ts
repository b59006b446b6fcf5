import { RegistryError } from "./errors";

/**
 * Docker Hub's repository API (not the distribution API): a repository's description and
 * privacy live there. Plain functions over `fetch`, so the Docker Hub dynamic provider can
 * carry them into its own process. Credentials are a Docker Hub user (or organisation) and a
 * personal or organisation access token; they are sent only to the login endpoint.
 */

/** Docker Hub's API origin; a test passes its own fake instead. */
export const DOCKER_HUB_API_URL = "https://hub.docker.com";

export interface HubOptions {
  /** API origin, `https://hub.docker.com` unless a test passes a fake. */
  readonly apiUrl: string;
  readonly username: string;
  /** An access token (or password) for `username`. */
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** Per-request timeout; 30 s by default. */
  readonly timeoutMs?: number;
}

/** A Docker Hub repository as Slipway manages it. */
export interface HubRepository {
  readonly namespace: string;
  readonly name: string;
  /** The short description (at most 100 characters). */
  readonly description: string;
  readonly isPrivate: boolean;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

async function send(
  options: HubOptions,
  method: Method,
  path: string,
  body: unknown,
  authorization: string | undefined,
): Promise<Response> {
  const url = `${options.apiUrl.replace(/\/+$/, "")}${path}`;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  if (authorization !== undefined) {
    headers.Authorization = authorization;
  }
  try {
    return await (options.fetch ?? fetch)(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    const reason =
      typeof cause?.code === "string"
        ? cause.code
        : error instanceof Error
          ? error.message
          : String(error);
    throw new RegistryError("unreachable", `cannot reach Docker Hub's API (${url}): ${reason}`);
  }
}

/** The `detail`/`message` of a Docker Hub error body, as ` (text)`, or an empty string. */
async function detail(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { detail?: unknown; message?: unknown };
    const message = typeof body.detail === "string" ? body.detail : body.message;
    return typeof message === "string" && message !== "" ? ` (${message})` : "";
  } catch {
    return "";
  }
}

const TOKEN_HINT =
  "check the Docker Hub access token in slipway:registry.password (read, write and delete scope for " +
  "slipway:registry.username) and set a new one with: pulumi config set --secret --path 'slipway:registry.password' <token>";

/** Logs in and returns the `Authorization` header value for the other calls. */
export async function hubLogin(options: HubOptions): Promise<string> {
  const response = await send(
    options,
    "POST",
    "/v2/users/login/",
    { username: options.username, password: options.token },
    undefined,
  );
  if (response.status === 401 || response.status === 403) {
    throw new RegistryError(
      "unauthorized",
      `Docker Hub refused the token of ${options.username}: ${response.status}${await detail(response)}; ${TOKEN_HINT}`,
    );
  }
  if (response.status !== 200) {
    throw new RegistryError(
      "protocol",
      `Docker Hub answered the login of ${options.username} with ${response.status}${await detail(response)}`,
    );
  }
  const body = (await response.json()) as { token?: unknown };
  if (typeof body.token !== "string" || body.token === "") {
    throw new RegistryError("protocol", "Docker Hub's login returned no token");
  }
  return `Bearer ${body.token}`;
}

async function expect(
  response: Response,
  statuses: readonly number[],
  what: string,
  options: HubOptions,
): Promise<void> {
  if (statuses.includes(response.status)) {
    return;
  }
  if (response.status === 401 || response.status === 403) {
    throw new RegistryError(
      "unauthorized",
      `Docker Hub refused ${what} for ${options.username}: ${response.status}${await detail(response)}; ${TOKEN_HINT}`,
    );
  }
  throw new RegistryError(
    "protocol",
    `Docker Hub answered ${what} with ${response.status}${await detail(response)}`,
  );
}

function repositoryOf(body: unknown, namespace: string, name: string): HubRepository {
  const fields = (body ?? {}) as { description?: unknown; is_private?: unknown };
  return {
    namespace,
    name,
    description: typeof fields.description === "string" ? fields.description : "",
    isPrivate: fields.is_private === true,
  };
}

/**
 * `method` on the repository itself (`/v2/repositories/<namespace>/<name>/`): the answer, or
 * undefined when Docker Hub has no repository of that name (404, which is no error here).
 */
async function sendToRepository(
  options: HubOptions,
  authorization: string,
  method: "GET" | "DELETE",
  namespace: string,
  name: string,
): Promise<Response | undefined> {
  const response = await send(
    options,
    method,
    `/v2/repositories/${namespace}/${name}/`,
    undefined,
    authorization,
  );
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  return response;
}

/** The repository, or undefined when Docker Hub has none of that name. */
export async function getHubRepository(
  options: HubOptions,
  authorization: string,
  namespace: string,
  name: string,
): Promise<HubRepository | undefined> {
  const response = await sendToRepository(options, authorization, "GET", namespace, name);
  if (response === undefined) {
    return undefined;
  }
  await expect(response, [200], `GET repository ${namespace}/${name}`, options);
  return repositoryOf(await response.json(), namespace, name);
}

export async function createHubRepository(
  options: HubOptions,
  authorization: string,
  wanted: HubRepository,
): Promise<HubRepository> {
  const response = await send(
    options,
    "POST",
    `/v2/namespaces/${wanted.namespace}/repositories`,
    {
      namespace: wanted.namespace,
      name: wanted.name,
      description: wanted.description,
      is_private: wanted.isPrivate,
    },
    authorization,
  );
  await expect(
    response,
    [200, 201],
    `create repository ${wanted.namespace}/${wanted.name}`,
    options,
  );
  return repositoryOf(await response.json(), wanted.namespace, wanted.name);
}

/** Sets the description and, when it differs from `current`, the privacy. */
export async function updateHubRepository(
  options: HubOptions,
  authorization: string,
  current: HubRepository,
  wanted: HubRepository,
): Promise<HubRepository> {
  const id = `${wanted.namespace}/${wanted.name}`;
  if (current.description !== wanted.description) {
    const response = await send(
      options,
      "PATCH",
      `/v2/repositories/${id}/`,
      { description: wanted.description },
      authorization,
    );
    await expect(response, [200], `update the description of ${id}`, options);
    await response.body?.cancel();
  }
  if (current.isPrivate !== wanted.isPrivate) {
    const response = await send(
      options,
      "POST",
      `/v2/repositories/${id}/privacy`,
      { is_private: wanted.isPrivate },
      authorization,
    );
    await expect(response, [200, 204], `set the privacy of ${id}`, options);
    await response.body?.cancel();
  }
  return { ...wanted };
}

/**
 * Deletes the repository and every image in it. Slipway's components declare repositories
 * `retainOnDelete`, so a stack destroy never gets here; only removing that option would.
 */
export async function deleteHubRepository(
  options: HubOptions,
  authorization: string,
  namespace: string,
  name: string,
): Promise<void> {
  const response = await sendToRepository(options, authorization, "DELETE", namespace, name);
  if (response === undefined) {
    return;
  }
  await expect(response, [200, 202, 204], `delete repository ${namespace}/${name}`, options);
  await response.body?.cancel();
}
