/**
 * Several services and accessories under Pulumi mocks: exact resources, inputs and order for a
 * stack with two routed services (one with two replicas), a worker and two accessories.
 */
import { strict as assert } from "node:assert";
import { Secret, validateConfig } from "../../../src/config";
import {
  accessoryDefinitionHash,
  accessoryRemoveScript,
  accessoryScript,
  bootstrapStdin,
  releaseCommandScript,
  renderPayload,
  type AccessoryDefinition,
} from "../../../src/deploy";
import { recordResources, secrecy, settle, valueOf, type Recorded } from "../../helpers/mocks";
import { DIGEST_EDGE, DIGEST_WEB } from "./fixtures";

const DIGEST_API = `sha256:${"a9".repeat(32)}`;
const DIGEST_PG = `sha256:${"5e".repeat(32)}`;
const PG_REF = `docker.io/library/postgres@${DIGEST_PG}`;
const PG_PASSWORD = "pg password value";

function stackConfig() {
  return validateConfig("dev", {
    registry: { server: "127.0.0.1:5000", namespace: "acme", insecure: true },
    images: {
      web: { pin: { digest: DIGEST_WEB } },
      api: { pin: { digest: DIGEST_API } },
      edge: { pin: { digest: DIGEST_EDGE } },
    },
    hosts: [
      { name: "h1", transport: "local", roles: ["front"] },
      { name: "h2", transport: "local" },
    ],
    accessories: {
      postgres: {
        image: PG_REF,
        hosts: ["h2"],
        env: { POSTGRES_USER: "app" },
        secretEnv: { POSTGRES_PASSWORD: new Secret(PG_PASSWORD) },
        volumes: { data: "/var/lib/postgresql/data" },
        ports: [{ containerPort: 5432, hostPort: 15432 }],
      },
      redis: { image: PG_REF, hosts: ["h2"], command: ["redis-server"] },
    },
    services: {
      api: {
        routes: [{ host: "api.example.com" }],
        healthPath: "/readyz",
        secretEnv: { PGPASSWORD: new Secret(PG_PASSWORD) },
        replicas: 2,
        release: { command: ["./migrate", "up"], timeoutSeconds: 120 },
      },
      worker: { image: "api", command: ["worker"], hosts: ["h2"] },
      web: { role: "front", routes: [{ host: "web.example.com" }] },
    },
  });
}

describe("infra/deploy: several services and accessories under mocks", function () {
  this.timeout(20_000);
  let recorded: Recorded[];

  before(async () => {
    recorded = await recordResources("dev");
    const { deployAccessories, deployServices } = await import("../../../infra/deploy");
    const config = stackConfig();
    const accessories = deployAccessories(config, { postgres: PG_REF, redis: PG_REF });
    const wait = Object.values(accessories).flatMap((byHost) => Object.values(byHost));
    const deployments = deployServices(
      config,
      {
        api: { ref: `127.0.0.1:5000/acme/api@${DIGEST_API}` },
        worker: { ref: `127.0.0.1:5000/acme/api@${DIGEST_API}` },
        web: { ref: `127.0.0.1:5000/acme/web@${DIGEST_WEB}` },
      },
      undefined,
      { h1: wait, h2: wait },
    );
    for (const byHost of Object.values(deployments)) {
      for (const deployment of Object.values(byHost)) {
        await valueOf(deployment.ref);
      }
    }
    await settle();
  });

  const one = (name: string) => {
    const found = recorded.filter((r) => r.name === name);
    assert.equal(found.length, 1, `one resource named ${name}`);
    return found[0]!;
  };

  it("declares each accessory on its hosts and each service (and replica) on its hosts", () => {
    assert.deepEqual(
      recorded
        .filter((r) => r.type.startsWith("slipway:deploy:"))
        .map((r) => `${r.type.slice("slipway:deploy:".length)} ${r.name}`)
        .sort(),
      [
        "HostAccessory postgres-h2",
        "HostAccessory redis-h2",
        "HostDeployment api-h1",
        "HostDeployment api-h2",
        "HostDeployment api.2-h1",
        "HostDeployment api.2-h2",
        "HostDeployment web-h1",
        "HostDeployment worker-h2",
        "ReleaseCommand api-release-command",
      ],
    );
  });

  it("orders the rollout: accessories, then api (later replica first), worker, web", () => {
    const deps = (name: string) => one(name).options.dependsOn ?? [];
    // Every service command waits for the accessories' commands.
    for (const name of [
      "api.2-h1-release",
      "api-h1-release",
      "worker-h2-release",
      "web-h1-release",
    ]) {
      for (const accessory of ["postgres-h2-run", "redis-h2-run"]) {
        assert.ok(deps(name).includes(accessory), `${name} waits for ${accessory}`);
      }
    }
    // api's release command runs on its first host once the accessories run, before any
    // instance of api on any host.
    for (const accessory of ["postgres-h2-run", "redis-h2-run"]) {
      assert.ok(deps("api-release-command-run").includes(accessory));
    }
    for (const name of ["api.2-h1-release", "api-h1-release"]) {
      assert.ok(
        deps(name).includes("api-release-command-run"),
        `${name} waits for the release command`,
      );
    }
    // The first replica lists the later one in its routes, so it waits for it.
    assert.ok(deps("api-h1-release").includes("api.2-h1-release"));
    // Batches of one: h2 waits for h1's instances.
    assert.ok(deps("api.2-h2-release").includes("api-h1-release"));
    // The worker waits for api on its last host; web for the worker.
    assert.ok(deps("worker-h2-release").includes("api-h2-release"));
    assert.ok(deps("web-h1-release").includes("worker-h2-release"));
  });

  it("runs api's release command on h1 with api's env, secret env (stdin only) and network, once per digest", () => {
    const run = one("api-release-command-run");
    assert.equal(run.type, "command:local:Command");
    const def = {
      host: "h1",
      stack: "dev",
      service: "api",
      stateRoot: "/var/lib/slipway",
      edge: "slipway-edge",
      image: "api",
      ref: `127.0.0.1:5000/acme/api@${DIGEST_API}`,
      containerPort: 8080,
      routes: [{ host: "api.example.com", tls: true }],
      drainSeconds: 1,
      healthPath: "/readyz",
      healthTimeoutSeconds: 60,
      keepReleases: 3,
      rollbackWindowSeconds: 600,
      env: {},
      secretEnvNames: ["PGPASSWORD"],
      network: "slipway-dev",
      command: [],
      routeInstances: ["api", "api.2"],
    };
    assert.deepEqual(secrecy(run.inputs.stdin), {
      secret: bootstrapStdin(
        releaseCommandScript({
          def,
          release: { command: ["./migrate", "up"], timeoutSeconds: 120 },
        }),
        renderPayload({ secretEnv: { PGPASSWORD: PG_PASSWORD } }),
      ),
    });
    assert.deepEqual(run.inputs.triggers, [def.ref]);
    assert.equal(
      recorded.filter((r) => r.name.includes("release-command")).length,
      2,
      "one release command (component and command), not one per host",
    );
  });

  it("gives the first replica every replica's upstream and the later one none", () => {
    const stdin = (name: string) =>
      String((secrecy(one(name).inputs.stdin) as { secret: string }).secret);
    assert.ok(
      stdin("api-h1-release").includes(
        '"upstreams":[{"dial":"{file./etc/slipway/upstreams/api}"},{"dial":"{file./etc/slipway/upstreams/api.2}"}]',
      ),
    );
    assert.ok(
      !stdin("api.2-h1-release").includes('"upstreams"'),
      "a later replica installs no route",
    );
    assert.ok(stdin("api.2-h1-release").includes("--network name=slipway-dev,alias=api "));
    // A later replica starts before any route lists it: it is checked by name, not through the edge.
    assert.ok(
      stdin("api.2-h1-release").includes(
        'answer="a later replica: the first replica verifies the routes through the edge"',
      ),
    );
    assert.ok(!stdin("api-h1-release").includes("a later replica"));
    assert.ok(stdin("worker-h2-release").includes("--network name=slipway-dev,alias=worker "));
    assert.ok(stdin("worker-h2-release").includes(" worker; }\n"), "the worker's command");
  });

  it("runs the accessory script with its secrets on stdin only, triggered by its definition", () => {
    const definition: AccessoryDefinition = {
      host: "h2",
      stack: "dev",
      name: "postgres",
      stateRoot: "/var/lib/slipway",
      network: "slipway-dev",
      image: PG_REF,
      ref: PG_REF,
      command: [],
      env: { POSTGRES_USER: "app" },
      secretEnvNames: ["POSTGRES_PASSWORD"],
      volumes: { data: "/var/lib/postgresql/data" },
      ports: [{ containerPort: 5432, hostPort: 15432, bind: "127.0.0.1" }],
      healthTimeoutSeconds: 60,
    };
    const run = one("postgres-h2-run").inputs;
    assert.deepEqual(secrecy(run.stdin), {
      secret: bootstrapStdin(
        accessoryScript(definition),
        renderPayload({ secretEnv: { POSTGRES_PASSWORD: PG_PASSWORD } }),
      ),
    });
    assert.deepEqual(run.triggers, [
      accessoryDefinitionHash(definition),
      "postgres-h2-container-id",
    ]);
    const container = one("postgres-h2-container").inputs;
    assert.equal(
      container.delete,
      accessoryRemoveScript({
        host: "h2",
        stack: "dev",
        name: "postgres",
        stateRoot: "/var/lib/slipway",
        network: "slipway-dev",
        volumes: ["data"],
        deleteVolumes: false,
      }),
    );
    const visible = JSON.stringify(recorded.map((r) => ({ ...r.inputs, stdin: undefined })));
    assert.ok(!visible.includes(PG_PASSWORD), "the password reached a plain input");
    assert.ok(
      accessoryScript(definition).includes(
        '--volume slipway-dev-postgres-data:/var/lib/postgresql/data --publish 127.0.0.1:15432:5432 --env POSTGRES_USER=app --env-file "$tmp"/secret.env ' +
          PG_REF,
      ),
    );
  });
});
