import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Secret, validateConfig } from "../../../src/config";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  definitionHash,
  deployScript,
  renderPayload,
  stopScript,
  type ServiceDefinition,
} from "../../../src/deploy";
import { secrecy, valueOf } from "../../helpers/mocks";
import { DIGEST_EDGE, DIGEST_WEB } from "./fixtures";

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, any>;
  /** Order in which the mocks saw the registration. */
  readonly seq: number;
}

const REF = `127.0.0.1:5000/acme/web@${DIGEST_WEB}`;
const EDGE_REF = `docker.io/library/caddy@${DIGEST_EDGE}`;
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nhost-key-material\n-----END OPENSSH PRIVATE KEY-----\n";
const BASTION_KEY = "bastion-key-material";
const REGISTRY_PASSWORD = "registry-password-value";
const SECRET_ENV = { API_KEY: "api-key-value", DB_PASSWORD: "db password value" };

let registrations: Registration[] = [];
/** Registrations and answers, in the order they happened: `register web-h1`, `answer web-h1`. */
let events: string[] = [];
/** Registrations whose answer the mocks hold back for this many ms. */
let delays: Record<string, number> = {};

async function installMocks(stack = "dev"): Promise<void> {
  registrations = [];
  events = [];
  delays = {};
  let seq = 0;
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        registrations.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, any>,
          seq: seq++,
        });
        events.push(`register ${args.name}`);
        const delay = delays[args.name];
        if (delay !== undefined) {
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        events.push(`answer ${args.name}`);
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "", stderr: "" } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs as Record<string, any>;
      },
    },
    "slipway",
    stack,
    false,
  );
}

function registered(name: string): Registration {
  const found = registrations.filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one registration named ${name}`);
  return found[0]!;
}

/** Where `event` happened among the mocks' events; fails when it did not. */
function eventIndex(event: string): number {
  const index = events.indexOf(event);
  assert.ok(index >= 0, `no event ${event}`);
  return index;
}

async function settleAll(): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function config(overrides: { hosts?: unknown[]; batchSize?: number } = {}) {
  return validateConfig("dev", {
    registry: {
      server: "127.0.0.1:5000",
      namespace: "acme",
      username: "acme-bot",
      password: new Secret(REGISTRY_PASSWORD),
      insecure: true,
    },
    images: { web: { pin: { digest: DIGEST_WEB } } },
    hosts: overrides.hosts ?? [
      {
        name: "web-1",
        address: "198.51.100.20",
        port: 2222,
        user: "deploy",
        privateKey: new Secret(KEY),
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey",
        proxy: {
          address: "bastion.example.com",
          user: "jump",
          privateKey: new Secret(BASTION_KEY),
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBastion",
        },
      },
    ],
    services: {
      web: {
        image: "web",
        containerPort: 8080,
        routes: [{ host: "web.example.com", tls: true }, { path: "/api" }],
        drainSeconds: 2,
        healthPath: "/healthz",
        healthTimeoutSeconds: 30,
        env: { GREETING: "hello $(world)" },
        secretEnv: {
          API_KEY: new Secret(SECRET_ENV.API_KEY),
          DB_PASSWORD: new Secret(SECRET_ENV.DB_PASSWORD),
        },
        batchSize: overrides.batchSize ?? 1,
        keepReleases: 2,
      },
    },
  });
}

function expectedDefinition(host: string): ServiceDefinition {
  return {
    host,
    stack: "dev",
    service: "web",
    configPath: "slipway:services.web",
    stateRoot: "/var/lib/slipway",
    image: "web",
    ref: REF,
    revision: "4c2a9e1",
    edge: "slipway-edge",
    containerPort: 8080,
    routes: [
      { host: "web.example.com", tls: true },
      { path: "/api", tls: false },
    ],
    drainSeconds: 2,
    healthPath: "/healthz",
    healthTimeoutSeconds: 30,
    keepReleases: 2,
    rollbackWindowSeconds: 600,
    env: { GREETING: "hello $(world)" },
    secretEnvNames: ["API_KEY", "DB_PASSWORD"],
    registryLogin: { server: "127.0.0.1:5000", username: "acme-bot" },
    network: "slipway-dev",
    command: [],
  };
}

describe("infra/deploy: HostDeployment under mocks", function () {
  this.timeout(20_000);

  describe("an SSH host behind a bastion", () => {
    let deployments: Record<string, import("../../../infra/deploy").HostDeployment>;

    before(async () => {
      await installMocks();
      const { deployServices } = await import("../../../infra/deploy");
      const deployService = (...args: Parameters<typeof deployServices>) =>
        deployServices(...args).web!;
      deployments = deployService(config(), { web: { ref: REF, revision: "4c2a9e1" } });
      await valueOf(deployments["web-1"]!.ref);
      await settleAll();
    });

    it("declares the component and its two commands, parented and named after it", () => {
      assert.deepEqual(
        registrations.map((r) => [r.type, r.name]),
        [
          ["slipway:deploy:HostDeployment", "web-web-1"],
          ["command:remote:Command", "web-web-1-service"],
          ["command:remote:Command", "web-web-1-release"],
        ],
      );
    });

    it("runs the bootstrap on create and update, triggered by ref, definition hash and service", () => {
      const release = registered("web-web-1-release").inputs;
      assert.equal(release.create, BOOTSTRAP_COMMAND);
      assert.equal(release.update, BOOTSTRAP_COMMAND);
      assert.equal(release.delete, undefined);
      // The service command's id: replacing it runs the stop script, so the release re-runs.
      assert.deepEqual(release.triggers, [
        REF,
        definitionHash(expectedDefinition("web-1")),
        "web-web-1-service-id",
      ]);
    });

    it("logs only the script's own stdout and never passes earlier output or an environment", () => {
      for (const name of ["web-web-1-release", "web-web-1-service"]) {
        const inputs = registered(name).inputs;
        assert.equal(inputs.logging, "stdout");
        assert.equal(inputs.addPreviousOutputInEnv, false);
        assert.equal(inputs.environment, undefined);
      }
    });

    it("sends the deploy script, then the secrets, as one secret stdin and nowhere else", () => {
      const release = registered("web-web-1-release").inputs;
      const stdin = secrecy(release.stdin);
      assert.ok("secret" in stdin, "stdin is a secret input");
      const script = deployScript(expectedDefinition("web-1"));
      assert.ok(String(stdin.secret).startsWith(`${script}slipway-script-end\n`));
      assert.equal(
        stdin.secret,
        bootstrapStdin(
          script,
          renderPayload({ registryPassword: REGISTRY_PASSWORD, secretEnv: SECRET_ENV }),
        ),
      );
      const visible = JSON.stringify({ ...release, stdin: undefined, connection: undefined });
      for (const value of [REGISTRY_PASSWORD, ...Object.values(SECRET_ENV)]) {
        assert.ok(!visible.includes(value), "a secret value reached a plain input");
      }
    });

    it("connects with the key and host key from config, through the bastion, as a secret", () => {
      const release = registered("web-web-1-release").inputs;
      const connection = secrecy(release.connection);
      assert.ok("secret" in connection, "the connection is a secret input");
      assert.deepEqual(connection.secret, {
        host: "198.51.100.20",
        port: 2222,
        user: "deploy",
        privateKey: KEY,
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKey",
        dialErrorLimit: 4,
        perDialTimeout: 15,
        proxy: {
          host: "bastion.example.com",
          port: 22,
          user: "jump",
          privateKey: BASTION_KEY,
          hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBastion",
          dialErrorLimit: 4,
          perDialTimeout: 15,
        },
      });
      assert.deepEqual(secrecy(registered("web-web-1-service").inputs.connection), connection);
    });

    it("stops the service only when the service command is deleted", () => {
      const service = registered("web-web-1-service").inputs;
      assert.equal(
        service.delete,
        stopScript({
          host: "web-1",
          stack: "dev",
          service: "web",
          stateRoot: "/var/lib/slipway",
          edge: "slipway-edge",
          network: "slipway-dev",
        }),
      );
      assert.equal(service.create, undefined);
      assert.equal(service.update, undefined);
      assert.equal(service.stdin, undefined);
      assert.deepEqual(service.triggers, ["web", "/var/lib/slipway", "slipway-edge"]);
    });

    it("outputs the deployed ref per host", async () => {
      assert.equal(await valueOf(deployments["web-1"]!.ref), REF);
      assert.equal(await valueOf(deployments["web-1"]!.host), "web-1");
    });
  });

  describe("key files, the local transport and batches", () => {
    let home: string;
    before(() => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-keys-"));
    });
    after(() => fs.rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));

    it("reads a privateKeyFile (with ~/ expanded) as a secret, and names the path when it cannot", async () => {
      const { expandHome, privateKeyOf } = await import("../../../infra/deploy");
      assert.equal(expandHome("~/.ssh/id", "/home/u"), "/home/u/.ssh/id");
      assert.equal(expandHome("/etc/key", "/home/u"), "/etc/key");
      const file = path.join(home, "id_ed25519");
      fs.writeFileSync(file, "file-key-material\n");
      await installMocks();
      const key = privateKeyOf({ privateKeyFile: file }, "slipway:hosts[0]");
      assert.ok(key !== undefined);
      assert.equal(await valueOf(key), "file-key-material\n");
      assert.equal(await pulumi.isSecret(key), true);
      assert.throws(
        () => privateKeyOf({ privateKeyFile: path.join(home, "missing") }, "slipway:hosts[2]"),
        new Error(
          `slipway:hosts[2].privateKeyFile: cannot read ${path.join(home, "missing")} (ENOENT)`,
        ),
      );
    });

    it("runs the same script on this machine for the local transport, without SSH", async () => {
      await installMocks();
      const { deployServices } = await import("../../../infra/deploy");
      const deployService = (...args: Parameters<typeof deployServices>) =>
        deployServices(...args).web!;
      const deployments = deployService(
        config({ hosts: [{ name: "laptop", transport: "local" }] }),
        { web: { ref: REF, revision: "4c2a9e1" } },
      );
      await valueOf(deployments.laptop!.ref);
      await settleAll();
      assert.deepEqual(
        registrations.map((r) => [r.type, r.name]),
        [
          ["slipway:deploy:HostDeployment", "web-laptop"],
          ["command:local:Command", "web-laptop-service"],
          ["command:local:Command", "web-laptop-release"],
        ],
      );
      const release = registered("web-laptop-release").inputs;
      assert.equal(release.create, BOOTSTRAP_COMMAND);
      assert.deepEqual(secrecy(release.stdin), {
        secret: bootstrapStdin(
          deployScript(expectedDefinition("laptop")),
          renderPayload({ registryPassword: REGISTRY_PASSWORD, secretEnv: SECRET_ENV }),
        ),
      });
      assert.deepEqual(release.interpreter, ["/bin/sh", "-c"]);
      assert.equal(release.connection, undefined);
      assert.equal(release.logging, "stdout");
      assert.equal(release.addPreviousOutputInEnv, false);
    });

    it("holds both commands until the host's edge is up, and the release until the service", async () => {
      await installMocks();
      delays = { "slipway-edge-laptop-edge": 300 };
      const { deployServices } = await import("../../../infra/deploy");
      const deployService = (...args: Parameters<typeof deployServices>) =>
        deployServices(...args).web!;
      const { EdgeProxy } = await import("../../../infra/edge");
      const edge = new EdgeProxy("slipway-edge-laptop", {
        transport: "local",
        host: "laptop",
        name: "slipway-edge",
        image: EDGE_REF,
        bind: "127.0.0.1",
        httpPort: 18080,
        httpsPort: 18443,
        tls: "internal",
      });
      const deployments = deployService(
        config({ hosts: [{ name: "laptop", transport: "local" }] }),
        { web: { ref: REF } },
        undefined,
        { laptop: [edge] },
      );
      await valueOf(deployments.laptop!.ref);
      await settleAll();
      const edgeUp = eventIndex("answer slipway-edge-laptop-edge");
      assert.ok(eventIndex("register web-laptop-service") > edgeUp, "the service waits");
      assert.ok(eventIndex("register web-laptop-release") > edgeUp, "the release waits");
      assert.ok(
        eventIndex("register web-laptop-release") > eventIndex("answer web-laptop-service"),
      );
    });

    it("rolls hosts out in batches: a batch registers only after the previous one finished", async () => {
      await installMocks();
      delays = { "web-h1-release": 300, "web-h2-release": 300 };
      const { deployServices, rolloutBatches } = await import("../../../infra/deploy");
      const deployService = (...args: Parameters<typeof deployServices>) =>
        deployServices(...args).web!;
      assert.deepEqual(rolloutBatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
      assert.throws(
        () => rolloutBatches([1], 0),
        new Error("batch size 0 is not a whole number >= 1"),
      );
      const hosts = ["h1", "h2", "h3"].map((name) => ({ name, transport: "local" }));
      const deployments = deployService(config({ hosts, batchSize: 2 }), { web: { ref: REF } });
      await Promise.all(Object.values(deployments).map((d) => valueOf(d.ref)));
      await settleAll();
      const at = eventIndex;
      const firstBatchDone = Math.max(at("answer web-h1-release"), at("answer web-h2-release"));
      assert.ok(at("register web-h3") > firstBatchDone, "host 3 waits for the first batch");
      assert.ok(at("register web-h3-release") > firstBatchDone);
      assert.ok(
        at("register web-h2-release") < at("answer web-h1-release"),
        "the hosts of one batch deploy at the same time",
      );
    });
  });
});
