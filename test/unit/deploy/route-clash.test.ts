import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { deployScript } from "../../../src/deploy";
import { routeFileText, routeLines } from "../../../src/edge";
import { sh, tempDir, typicalDefinition } from "./fixtures";

/** The text of the shell function `name` in `script`, from its first line to its closing brace. */
function shellFunction(script: string, name: string): string {
  const all = script.split("\n");
  const start = all.indexOf(`${name}() {`);
  assert.ok(start >= 0, `no function ${name}`);
  const end = all.indexOf("}", start);
  return all.slice(start, end + 1).join("\n");
}

describe("deploy/deploy-script: route_clash under sh", () => {
  let temp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    temp = tempDir();
    root = path.join(temp.dir, "root");
    fs.mkdirSync(path.join(root, "_edge", "slipway-edge", "routes"), { recursive: true });
    fs.mkdirSync(path.join(root, "web", "tmp"), { recursive: true });
  });
  afterEach(() => temp.remove());

  const script = deployScript(typicalDefinition());
  const functions = [shellFunction(script, "route_clash"), shellFunction(script, "clash_text")];
  const REFUSAL = "on this host; give this service another host or path in slipway:service.routes";

  /** A service on the edge: its route file, and the stack that owns it on the host (if known). */
  interface Other {
    readonly stack?: string;
    readonly routes: Parameters<typeof routeLines>[1];
  }

  /**
   * route_clash for `web` of stack dev, with `mine` as its new routes and `others` on the
   * edge: `[<clash>]`, and the refusal clash_text words from it when there is one.
   */
  async function routeClash(
    mine: Parameters<typeof routeLines>[1],
    others: Record<string, Other>,
  ): Promise<string> {
    const edge = path.join(root, "_edge", "slipway-edge");
    const tmp = path.join(root, "web", "tmp");
    fs.writeFileSync(path.join(tmp, "routes"), routeFileText(routeLines("web", mine)));
    for (const [service, other] of Object.entries(others)) {
      fs.writeFileSync(
        path.join(edge, "routes", service),
        routeFileText(routeLines(service, other.routes)),
      );
      if (other.stack !== undefined) {
        fs.mkdirSync(path.join(root, service), { recursive: true });
        fs.writeFileSync(path.join(root, service, "owner"), `${other.stack}\n`);
      }
    }
    const result = await sh(
      [
        "set -eu",
        "stack=dev",
        "service=web",
        `state='${root}/web'`,
        `edge='${edge}'`,
        `tmp='${tmp}'`,
        // The header's value the refusal names (where the service's routes are configured).
        script.split("\n").find((line) => line.startsWith("config_path="))!,
        ...functions,
        "clash=$(route_clash)",
        'printf "[%s]" "$clash"',
        'if [ -n "$clash" ]; then printf " %s" "$(clash_text)"; fi',
      ].join("\n"),
    );
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  }

  it("prints the first shared host and path with the other stack's service that has it", async () => {
    assert.equal(
      await routeClash([{ host: "web.example.com", tls: true }], {
        api: {
          stack: "prod",
          routes: [
            { path: "/api", tls: false },
            { host: "web.example.com", tls: false },
          ],
        },
      }),
      `[web.example.com| api] the route for host web.example.com, any path is already served by service api of stack prod ${REFUSAL}`,
    );
  });

  it("finds no clash between other hosts or paths, or with the service's own old routes", async () => {
    assert.equal(
      await routeClash([{ host: "web.example.com", tls: true }, { tls: false }], {
        api: {
          stack: "prod",
          routes: [
            { host: "web.example.com", path: "/api", tls: false },
            { host: "api.example.com", tls: true },
          ],
        },
        web: { stack: "dev", routes: [{ host: "web.example.com", tls: false }, { tls: false }] },
      }),
      "[]",
    );
  });

  it("refuses a second catch-all of another stack", async () => {
    assert.equal(
      await routeClash([{ tls: false }], {
        "web-prod": { stack: "local-prod", routes: [{ tls: false }] },
      }),
      `[-| web-prod] the route for any host, any path is already served by service web-prod of stack local-prod ${REFUSAL}`,
    );
  });

  it("names the path of a path route, and an owner it cannot tell", async () => {
    assert.equal(
      await routeClash([{ path: "/api", tls: false }], {
        api: { routes: [{ path: "/api", tls: false }] },
      }),
      `[-|/api api] the route for any host, path /api is already served by service api of stack unknown ${REFUSAL}`,
    );
  });

  it("lets a service of the same stack hand its routes over (a renamed service)", async () => {
    assert.equal(
      await routeClash([{ host: "web.example.com", tls: true }], {
        "web-old": { stack: "dev", routes: [{ host: "web.example.com", tls: true }] },
      }),
      "[]",
    );
  });
});
