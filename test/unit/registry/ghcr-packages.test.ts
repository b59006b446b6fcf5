/** GHCR deletes through GitHub's packages API, against a GitHub-shaped fake. */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ghcrPackages } from "../../../src/registry";

const d = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

describe("GHCR package versions (GitHub's packages API)", () => {
  let server: http.Server;
  let url: string;
  const requests: string[] = [];
  /** Versions by owner path (`/orgs/acme`, `/users/bob`). */
  const versions = new Map<string, { id: number; name: string }[]>();
  let status = 0;

  before(async () => {
    server = http.createServer((request, response) => {
      const line = `${request.method} ${request.url}`;
      requests.push(line);
      if (status !== 0 || request.headers.authorization !== "Bearer ghs_token") {
        response.statusCode = status || 401;
        return void response.end(JSON.stringify({ message: "Forbidden" }));
      }
      const list =
        /^GET (\/(?:orgs|users)\/[^/]+)\/packages\/container\/web\/versions\?per_page=100&page=(\d+)$/.exec(
          line,
        );
      if (list !== null) {
        const all = versions.get(list[1]!);
        response.statusCode = all === undefined ? 404 : 200;
        const page = Number(list[2]);
        return void response.end(JSON.stringify(all?.slice((page - 1) * 100, page * 100) ?? {}));
      }
      const remove =
        /^DELETE (\/orgs\/acme|\/user)\/packages\/container\/web\/versions\/(\d+)$/.exec(line);
      if (remove !== null) {
        const owner = remove[1] === "/user" ? "/users/bob" : remove[1]!;
        const all = versions.get(owner) ?? [];
        const index = all.findIndex((version) => version.id === Number(remove[2]));
        if (index < 0) {
          response.statusCode = 404;
          return void response.end();
        }
        all.splice(index, 1);
        response.statusCode = 204;
        return void response.end();
      }
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests.length = 0;
    status = 0;
    versions.set(
      "/orgs/acme",
      Array.from({ length: 150 }, (_, i) => ({ id: 1000 + i, name: d(i) })),
    );
    versions.set("/users/bob", [{ id: 7, name: d(7) }]);
  });

  it("lists an organisation's versions once (every page) and deletes by digest", async () => {
    const packages = ghcrPackages({
      apiUrl: url,
      owner: "acme",
      packageName: "web",
      token: "ghs_token",
    });
    await packages.deleteDigest(d(120));
    await packages.deleteDigest(d(3));
    await packages.deleteDigest(d(999));
    assert.deepEqual(requests, [
      "GET /orgs/acme/packages/container/web/versions?per_page=100&page=1",
      "GET /orgs/acme/packages/container/web/versions?per_page=100&page=2",
      "DELETE /orgs/acme/packages/container/web/versions/1120",
      "DELETE /orgs/acme/packages/container/web/versions/1003",
    ]);
    assert.equal(versions.get("/orgs/acme")!.length, 148);
  });

  it("falls back to a user's package, deleted through /user", async () => {
    const packages = ghcrPackages({
      apiUrl: url,
      owner: "bob",
      packageName: "web",
      token: "ghs_token",
    });
    await packages.deleteDigest(d(7));
    assert.deepEqual(requests, [
      "GET /orgs/bob/packages/container/web/versions?per_page=100&page=1",
      "GET /users/bob/packages/container/web/versions?per_page=100&page=1",
      "DELETE /user/packages/container/web/versions/7",
    ]);
    assert.deepEqual(versions.get("/users/bob"), []);
  });

  it("says which permission a refused token lacks, never the token", async () => {
    status = 403;
    const packages = ghcrPackages({
      apiUrl: url,
      owner: "acme",
      packageName: "web",
      token: "ghs_token",
    });
    await assert.rejects(packages.deleteDigest(d(1)), (error: Error) => {
      assert.equal(
        error.message,
        "GitHub refused to list the versions of package acme/web: 403; the token needs packages: write in a " +
          "workflow (the package's Manage Actions access must give the repository Admin), or read:packages and " +
          "delete:packages as a personal access token",
      );
      return true;
    });
  });
});
