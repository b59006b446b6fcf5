/**
 * A Docker-Hub-shaped HTTP fake on loopback: the repository API the Docker Hub dynamic
 * provider calls (login, get, create, update, privacy, delete), with the status codes and
 * bodies Docker Hub answers. It logs each request without the password.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeHubRepository {
  namespace: string;
  name: string;
  description: string;
  full_description: string;
  is_private: boolean;
}

export interface HubRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

export class FakeDockerHub {
  readonly requests: HubRequest[] = [];
  /** Repositories by `namespace/name`. */
  readonly repositories = new Map<string, FakeHubRepository>();
  private server: http.Server | undefined;
  private port = 0;
  private readonly tokens = new Set<string>();

  constructor(
    readonly username = "acme-bot",
    private token = "dckr_pat_good",
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Revokes the current token (the next login gets 401) and accepts a new one. */
  rotate(token: string): void {
    this.token = token;
    this.tokens.clear();
  }

  async start(): Promise<this> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
        this.handle(request, body, response);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(
    request: http.IncomingMessage,
    body: Record<string, unknown> | undefined,
    response: http.ServerResponse,
  ): void {
    const method = request.method ?? "GET";
    const path = new URL(request.url ?? "/", "http://hub.invalid").pathname;
    const logged = body === undefined ? undefined : { ...body };
    if (logged !== undefined && "password" in logged) {
      logged.password = "[redacted]";
    }
    this.requests.push({ method, path, ...(logged === undefined ? {} : { body: logged }) });
    const json = (status: number, value: unknown) => {
      response.statusCode = status;
      response.setHeader("Content-Type", "application/json");
      response.end(JSON.stringify(value));
    };

    if (method === "POST" && path === "/v2/users/login/") {
      if (body?.username === this.username && body.password === this.token) {
        const issued = `jwt-${this.tokens.size + 1}`;
        this.tokens.add(issued);
        return json(200, { token: issued });
      }
      return json(401, { detail: "Incorrect authentication credentials." });
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (bearer === undefined || !this.tokens.has(bearer)) {
      return json(401, { detail: "Authentication credentials were not provided." });
    }

    const create = /^\/v2\/namespaces\/([^/]+)\/repositories$/.exec(path);
    if (method === "POST" && create !== null) {
      const id = `${create[1]}/${String(body?.name)}`;
      if (this.repositories.has(id)) {
        return json(400, { message: "Repository with this Name and Namespace already exists." });
      }
      const repository: FakeHubRepository = {
        namespace: create[1]!,
        name: String(body?.name),
        description: typeof body?.description === "string" ? body.description : "",
        full_description: "",
        is_private: body?.is_private === true,
      };
      this.repositories.set(id, repository);
      return json(201, repository);
    }
    const privacy = /^\/v2\/repositories\/([^/]+)\/([^/]+)\/privacy$/.exec(path);
    if (method === "POST" && privacy !== null) {
      const repository = this.repositories.get(`${privacy[1]}/${privacy[2]}`);
      if (repository === undefined) {
        return json(404, { message: "object not found" });
      }
      repository.is_private = body?.is_private === true;
      return json(200, {});
    }
    const one = /^\/v2\/repositories\/([^/]+)\/([^/]+)\/$/.exec(path);
    if (one === null) {
      return json(404, { message: "page not found" });
    }
    const id = `${one[1]}/${one[2]}`;
    const repository = this.repositories.get(id);
    if (repository === undefined) {
      return json(404, { message: "object not found" });
    }
    switch (method) {
      case "GET":
        return json(200, { ...repository, pull_count: 0, star_count: 0 });
      case "PATCH":
        if (typeof body?.description === "string") {
          repository.description = body.description;
        }
        return json(200, repository);
      case "DELETE":
        this.repositories.delete(id);
        response.statusCode = 202;
        return void response.end();
      default:
        return json(405, { message: "method not allowed" });
    }
  }
}
