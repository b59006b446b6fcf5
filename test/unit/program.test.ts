/**
 * The composed program under Pulumi mocks, for the checked-in local stacks: which resources
 * it declares and how the images reach the edge and the deploys. (Each component has its own
 * tests; this one catches wiring mistakes between them.)
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { releaseUrn } from "../../src/cli/commands/repair";
import {
  BOOTSTRAP_COMMAND,
  bootstrapStdin,
  DEFAULT_MAINTENANCE_MESSAGE,
  edgeRemoveScript,
  edgeScript,
  maintenanceScript,
} from "../../src/deploy";
import { fakeHome } from "../helpers/home";
import { engineConfig } from "../helpers/stack-files";
import { isMovingTag } from "../../src/images";
import { readLedger } from "../../src/ledger";
import { checkedOnHostsScript } from "../../src/registry/check-script";
import {
  DIGEST_A,
  recordResources,
  secrecy,
  settle,
  valueOf,
  type Recorded,
} from "../helpers/mocks";

const ROOT = path.resolve(__dirname, "..", "..");
const PROGRAM = "../../stacks/index";
const WEB_REF = `127.0.0.1:5000/slipway/web@${DIGEST_A}`;
const EDGE_REF = `127.0.0.1:5000/slipway/edge@${DIGEST_A}`;

/** Runs the program (afresh: it is a module with top-level code) for `stack` under mocks. */
async function runProgram(
  stack: string,
  config: Record<string, string>,
): Promise<{ recorded: Recorded[]; program: Record<string, unknown> }> {
  const recorded = await recordResources(stack);
  pulumi.runtime.setAllConfig(config, []);
  delete require.cache[require.resolve(PROGRAM)];
  const program = (await import(PROGRAM)) as Record<string, unknown>;
  await valueOf(program.images as pulumi.Output<unknown>);
  for (const byHost of Object.values(
    program.deployed as Record<string, Record<string, pulumi.Output<string>>>,
  )) {
    for (const ref of Object.values(byHost)) {
      await valueOf(ref);
    }
  }
  await valueOf(program.accessories as pulumi.Output<unknown>);
  await valueOf(program.edge as pulumi.Output<unknown>);
  await settle();
  return { recorded, program };
}

function one(recorded: Recorded[], name: string): Recorded {
  const found = recorded.filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one resource named ${name}`);
  return found[0]!;
}

describe("the program for the local stack", function () {
  this.timeout(20_000);
  let recorded: Recorded[];
  let program: Record<string, unknown>;
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    ({ recorded, program } = await runProgram("local", engineConfig("local")));
  });
  after(() => restoreHome());

  it("declares five images, one edge, two accessories and three services (the api twice) on the host", () => {
    const images = ["api", "edge", "postgres", "redis", "web"];
    assert.deepEqual(
      recorded.map((r) => `${r.type} ${r.name}`).sort(),
      [
        ...images.flatMap((image) => [
          `command:local:Command ${image}-attest`,
          `command:local:Command ${image}-supply-sbom`,
          `command:local:Command ${image}-supply-scan`,
          `command:local:Command ${image}-tags`,
          `docker-build:index:Image ${image}-image`,
          `command:local:Command ${image}-check`,
          `slipway:image:Attestation ${image}`,
          `slipway:image:ImageBuild ${image}`,
          `slipway:image:MovingTags ${image}`,
          `slipway:registry:RegistryRepository ${image}`,
          `slipway:supply:SupplyChain ${image}-supply`,
        ]),
        ...["postgres", "redis"].flatMap((accessory) => [
          `command:remote:Command ${accessory}-local-container`,
          `command:remote:Command ${accessory}-local-run`,
          `slipway:deploy:HostAccessory ${accessory}-local`,
        ]),
        ...["api", "api.2", "web", "worker"].flatMap((service) => [
          `command:remote:Command ${service}-local-release`,
          `command:remote:Command ${service}-local-service`,
          `slipway:deploy:HostDeployment ${service}-local`,
        ]),
        "command:remote:Command slipway-edge-local-edge",
        "slipway:edge:EdgeProxy slipway-edge-local",
        "pulumi-nodejs:dynamic/slipway:ReleaseRecord ledger",
      ].sort(),
    );
  });

  it("records the release in the ledger as the update's last step, keyed on the release", async () => {
    const record = one(recorded, "ledger");
    const ledger = readLedger("local", ROOT);
    const release = await valueOf(program.release as pulumi.Output<unknown>);
    assert.equal(record.inputs.root, ROOT);
    assert.equal(record.inputs.stack, "local");
    assert.equal(record.inputs.releaseId, ledger.releases.length + 1);
    assert.deepEqual(record.inputs.release, release);
    assert.equal(record.inputs.by, "pulumi up");
    assert.equal(record.inputs.module, require.resolve("../../src/ledger/auto-record"));
    // After every host's deployment, accessory, edge and moving tag: a failed one stops it.
    const deps = record.options.dependsOn ?? [];
    for (const name of [
      "api-local-release",
      "web-local-release",
      "worker-local-release",
      "postgres-local-run",
      "redis-local-run",
      "slipway-edge-local-edge",
      "web-tags",
      "api-tags",
    ]) {
      assert.ok(deps.includes(name), `${name} in ${deps.join(", ")}`);
    }
    // The api's second replica through the first, which installs the routes after it.
    assert.ok(
      one(recorded, "api-local-release").options.dependsOn?.includes("api.2-local-release"),
    );
  });

  it("starts the accessories first, then api, worker and web, one after the other", () => {
    const deps = (name: string) => one(recorded, name).options.dependsOn ?? [];
    for (const service of ["api", "worker", "web"]) {
      for (const accessory of ["postgres", "redis"]) {
        assert.ok(deps(`${service}-local-release`).includes(`${accessory}-local-run`));
      }
    }
    assert.ok(deps("worker-local-release").includes("api-local-release"));
    assert.ok(deps("web-local-release").includes("worker-local-release"));
    // An accessory waits for nothing of any service or release.
    assert.ok(
      !deps("postgres-local-run").some((dep) => /^(api|web|worker)-local-/.test(dep)),
      deps("postgres-local-run").join(", "),
    );
  });

  it("gives the api and the worker the database password as a secret from its file", () => {
    for (const name of ["api-local-release", "worker-local-release", "postgres-local-run"]) {
      const stdin = secrecy(one(recorded, name).inputs.stdin);
      assert.ok("secret" in stdin, `${name}: stdin is secret`);
      assert.ok(String(stdin.secret).includes("unit-test-postgres-password\n"), name);
    }
    const visible = JSON.stringify(recorded.map((r) => ({ ...r.inputs, stdin: undefined })));
    assert.ok(!visible.includes("unit-test-postgres-password"), "the password is in a plain input");
    const worker = String(
      (secrecy(one(recorded, "worker-local-release").inputs.stdin) as { secret: string }).secret,
    );
    assert.ok(worker.includes(" --network name=slipway-local,alias=worker "), "stack network");
    assert.ok(!worker.includes("--network slipway-edge"), "a worker is not on the edge network");
  });

  it("scans each built digest with the local stack's offline trivy database", () => {
    const urn = (name: string) => recorded.find((r) => r.name === name)!;
    const scan = urn("web-supply-scan");
    assert.deepEqual(scan.inputs.interpreter, ["/bin/sh", "-c"]);
    assert.match(
      String(scan.inputs.stdin),
      /^trivy image .* --cache-dir \S+\/\.cache\/slipway\/trivy --skip-db-update --skip-java-db-update --offline-scan --insecure /m,
    );
  });

  it("runs each image's SBOM beside its attestation, and its scan after it (both write the index's)", () => {
    const deps = (name: string) => one(recorded, name).options.dependsOn ?? [];
    for (const image of ["api", "edge", "postgres", "redis", "web"]) {
      // Two platforms: each SBOM goes to its platform's manifest, nothing else writes there.
      assert.deepEqual(
        deps(`${image}-supply-sbom`).filter((dep) => dep.startsWith(`${image}-`)),
        [`${image}-image`],
      );
      assert.deepEqual(
        deps(`${image}-supply-scan`).filter((dep) => dep.startsWith(`${image}-`)),
        [`${image}-attest`, `${image}-image`],
      );
      assert.deepEqual(deps(`${image}-attest`), [`${image}-image`]);
    }
    // The host's release waits for both, through the SupplyChain.
    assert.ok(deps("web-local-release").includes("web-supply-sbom"));
    assert.ok(deps("web-local-release").includes("web-supply-scan"));
  });

  it("builds the edge without commit labels or times, so app commits keep its digest", () => {
    const web = one(recorded, "web-image").inputs;
    const edge = one(recorded, "edge-image").inputs;
    assert.deepEqual(web.builder, { name: "slipway" });
    assert.deepEqual(edge.context, { location: path.join(ROOT, "examples", "edge") });
    assert.deepEqual(edge.buildArgs, { SOURCE_DATE_EPOCH: "0" });
    assert.equal(edge.labels["org.opencontainers.image.title"], "edge");
    for (const label of ["created", "revision", "version"]) {
      assert.equal(edge.labels[`org.opencontainers.image.${label}`], undefined, label);
    }
    assert.match(String(web.labels["org.opencontainers.image.revision"]), /^[0-9a-f]{40}$/);
    assert.match(String(web.buildArgs.SOURCE_DATE_EPOCH), /^[1-9]\d*$/);
  });

  it("starts the host's edge from the edge digest, as its own child command", () => {
    const edge = one(recorded, "slipway-edge-local-edge");
    assert.equal(edge.options.parent, "slipway-edge-local");
    const def = {
      host: "local",
      stack: "local",
      name: "slipway-edge",
      image: EDGE_REF,
      bind: "127.0.0.1",
      httpPort: 18080,
      httpsPort: 18443,
      tls: "internal" as const,
      stateRoot: "/var/lib/slipway",
    };
    assert.equal(edge.inputs.create, BOOTSTRAP_COMMAND);
    assert.equal(edge.inputs.update, BOOTSTRAP_COMMAND);
    assert.equal(edge.inputs.stdin, bootstrapStdin(edgeScript(def)));
    assert.equal(edge.inputs.delete, edgeRemoveScript(def));
    assert.deepEqual(edge.inputs.triggers, [JSON.stringify(def)]);
    assert.ok(
      !(edge.options.dependsOn ?? []).some((dep) => dep.startsWith("web-")),
      `the edge waits for nothing of the web release: ${String(edge.options.dependsOn)}`,
    );
  });

  it("deploys the web digest on the edge network, after the host's edge", () => {
    const release = one(recorded, "web-local-release");
    assert.equal((release.inputs.triggers as unknown[])[0], WEB_REF);
    assert.equal(release.inputs.create, BOOTSTRAP_COMMAND);
    const stdin = secrecy(release.inputs.stdin);
    assert.ok("secret" in stdin, "stdin carries the payload, so it is secret");
    const script = String(stdin.secret);
    assert.ok(
      script.startsWith(
        `#!/bin/sh\n# Slipway deploy of web to host local (stack local): ${WEB_REF}`,
      ),
    );
    assert.ok(script.includes(" --network slipway-edge "), "the release joins the edge network");
    assert.ok(!script.includes("--publish"), "the release publishes no port");
    for (const name of ["web-local-release", "web-local-service"]) {
      const deps = one(recorded, name).options.dependsOn ?? [];
      assert.ok(
        deps.includes("slipway-edge-local-edge"),
        `${name} waits for the edge: ${deps.join(", ")}`,
      );
    }
    assert.ok((release.options.dependsOn ?? []).includes("web-local-service"));
    const connection = secrecy(release.inputs.connection);
    assert.ok("secret" in connection, "the connection carries the key, so it is secret");
    const { host, port, user, privateKey } = connection.secret as Record<string, unknown>;
    assert.deepEqual({ host, port, user }, { host: "127.0.0.1", port: 2222, user: "root" });
    assert.match(String(privateKey), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  it("pushes only per-build tags, and moves dev once the host's deploy reports the new digest", () => {
    const web = recorded.find((r) => r.name === "web-image")!;
    const tags = web.inputs.tags as string[];
    assert.ok(
      tags.length > 0 && tags.every((tag) => /:(sha-|dev-[0-9])/.test(tag)),
      tags.join(" "),
    );
    const move = recorded.find((r) => r.name === "web-tags")!;
    const webRef = `127.0.0.1:5000/slipway/web@${DIGEST_A}`;
    // Its inputs include what the host deployment reports after its health gate, so the
    // engine runs it only after that deploy succeeded.
    const [ref, moving, healthy] = move.inputs.triggers as [string, string[], string[]];
    assert.equal(ref, webRef);
    assert.deepEqual(healthy, [webRef]);
    // dev on main, the branch name elsewhere: whatever moves, and only that.
    assert.ok(moving.length === 1 && isMovingTag(moving[0]!), moving.join(" "));
    assert.ok(String(move.inputs.create).includes(` ${webRef} ${moving[0]!}\n`));
  });

  it("names the release command with the URN `slipway repair` replaces", () => {
    assert.equal(
      one(recorded, "web-local-release").urn,
      releaseUrn("local", "web", "local", "ssh"),
    );
  });

  it("exports role, hosts, service routes, the edge, what each host runs, and the ledger", async () => {
    assert.equal(program.role, "build");
    assert.deepEqual(program.hosts, {
      local: { address: "127.0.0.1", port: 2222, user: "root", transport: "ssh" },
    });
    assert.deepEqual(program.services, {
      api: {
        name: "api",
        image: "api",
        routes: ["https://api.localhost/"],
        healthPath: "/readyz",
        containerPort: 8080,
        hosts: ["local"],
        worker: false,
      },
      worker: {
        name: "worker",
        image: "api",
        routes: [],
        healthPath: "/healthz",
        containerPort: 8080,
        hosts: ["local"],
        worker: true,
      },
      web: {
        name: "web",
        image: "web",
        routes: ["https://web.localhost/", "http://*/"],
        healthPath: "/healthz",
        containerPort: 8080,
        hosts: ["local"],
        worker: false,
      },
    });
    assert.deepEqual(await valueOf(program.edge as pulumi.Output<unknown>), {
      name: "slipway-edge",
      managed: true,
      image: EDGE_REF,
      httpPort: 18080,
      httpsPort: 18443,
    });
    const deployed = program.deployed as Record<string, Record<string, pulumi.Output<string>>>;
    assert.deepEqual(Object.keys(deployed), ["api", "worker", "web"]);
    assert.deepEqual(await valueOf(deployed.web!.local!), WEB_REF);
    const managed = {
      kind: "oci",
      visibility: "unmanaged",
      keepDevVersions: 10,
      managed: ["answers (checked)"],
      unmanaged:
        "a plain registry has no visibility, description or access settings per repository",
    };
    assert.deepEqual(await valueOf(program.repositories as pulumi.Output<unknown>), {
      web: { repository: "127.0.0.1:5000/slipway/web", ...managed },
      api: { repository: "127.0.0.1:5000/slipway/api", ...managed },
      postgres: { repository: "127.0.0.1:5000/slipway/postgres", ...managed },
      redis: { repository: "127.0.0.1:5000/slipway/redis", ...managed },
      edge: { repository: "127.0.0.1:5000/slipway/edge", ...managed },
    });
    // This update makes the next release of the local stack's ledger (none in a fresh clone;
    // `npm run local` records one on a developer's machine).
    const before = readLedger("local", ROOT).releases;
    const release = (await valueOf(program.release as pulumi.Output<unknown>)) as {
      kind: string;
      images: Record<string, { digest: string; ref: string }>;
    };
    assert.equal(release.kind, "up");
    assert.deepEqual(
      Object.fromEntries(Object.entries(release.images).map(([name, image]) => [name, image.ref])),
      Object.fromEntries(
        ["web", "api", "postgres", "redis", "edge"].map((name) => [
          name,
          `127.0.0.1:5000/slipway/${name}@${DIGEST_A}`,
        ]),
      ),
    );
    const ledger = (await valueOf(program.ledger as pulumi.Output<unknown>)) as {
      file: string;
      releases: { id: number; kind: string; images: unknown }[];
    };
    assert.equal(ledger.file, "stacks/releases/local.yaml");
    assert.equal(ledger.releases.length, before.length + 1);
    assert.deepEqual(ledger.releases[before.length], { id: before.length + 1, ...release });
    assert.equal(program.githubEnvironment, null);
  });
});

/** local-prod's config as `slipway promote --from local --to local-prod` pins it (`web`: more). */
function promotedLocalProd(digest: string, web: Record<string, unknown> = {}) {
  return {
    ...engineConfig("local-prod"),
    "slipway:images": JSON.stringify({
      web: { pin: { digest, ...web } },
      api: { pin: { digest } },
      postgres: { pin: { digest } },
    }),
  };
}

describe("the program for local-prod after a rollback with the registry down (pin.checkedOn: hosts)", function () {
  this.timeout(20_000);
  const digest = `sha256:${"b2".repeat(32)}`;
  let recorded: Recorded[];
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    const config = promotedLocalProd(digest, { restores: 1, checkedOn: "hosts" });
    ({ recorded } = await runProgram("local-prod", config));
  });
  after(() => restoreHome());

  it("neither checks nor verifies web in the registry, says so, and does both for the other images", () => {
    const ref = `127.0.0.1:5000/slipway/web@${digest}`;
    assert.equal(
      one(recorded, "web-check").inputs.stdin,
      checkedOnHostsScript("repository check", ref),
    );
    assert.equal(
      one(recorded, "web-verify-verify").inputs.stdin,
      checkedOnHostsScript("signature verification", ref),
    );
    assert.deepEqual((one(recorded, "web-verify-verify").inputs.triggers as unknown[]).slice(2), [
      "checked on hosts",
    ]);
    assert.equal((one(recorded, "api-verify-verify").inputs.triggers as unknown[]).length, 2);
    assert.ok(String(one(recorded, "api-verify-verify").inputs.stdin).includes("cosign"));
    assert.ok(String(one(recorded, "api-check").inputs.stdin).includes("curl"));
  });
});

describe("the program for the local-prod stack, once promoted into", function () {
  this.timeout(20_000);
  const digest = `sha256:${"b2".repeat(32)}`;
  let recorded: Recorded[];
  let program: Record<string, unknown>;
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    ({ recorded, program } = await runProgram("local-prod", promotedLocalProd(digest)));
  });
  after(() => restoreHome());

  it("declares no edge: it routes through the one the local stack manages", () => {
    assert.deepEqual(
      recorded.map((r) => `${r.type} ${r.name}`).sort(),
      [
        ...["api", "postgres", "web"].flatMap((image) => [
          `command:local:Command ${image}-verify-verify`,
          `command:local:Command ${image}-check`,
          `slipway:registry:RegistryRepository ${image}`,
          `slipway:supply:Verification ${image}-verify`,
        ]),
        "command:remote:Command postgres-local-container",
        "command:remote:Command postgres-local-run",
        "slipway:deploy:HostAccessory postgres-local",
        ...["api-prod", "web-prod"].flatMap((service) => [
          `command:remote:Command ${service}-local-release`,
          `command:remote:Command ${service}-local-service`,
          `slipway:deploy:HostDeployment ${service}-local`,
        ]),
        "pulumi-nodejs:dynamic/slipway:ReleaseRecord ledger",
      ].sort(),
    );
    // No edge to wait for; every verification of a pinned digest, and the accessory, first.
    const deps = one(recorded, "web-prod-local-release").options.dependsOn ?? [];
    assert.deepEqual([...deps].sort(), [
      "api-prod-local-release",
      "api-prod-local-service",
      "api-verify-verify",
      "postgres-local-container",
      "postgres-local-run",
      "postgres-verify-verify",
      "web-prod-local-service",
      "web-verify-verify",
    ]);
  });

  it("deploys the pinned digest on the same edge network", () => {
    const stdin = secrecy(one(recorded, "web-prod-local-release").inputs.stdin);
    assert.ok("secret" in stdin);
    const script = String(stdin.secret);
    assert.ok(script.includes(`127.0.0.1:5000/slipway/web@${digest}`));
    assert.ok(script.includes(" --network slipway-edge "));
    assert.ok(script.includes("\nedge=/var/lib/slipway/_edge/slipway-edge\n"));
  });

  it("exports an edge it does not manage", async () => {
    assert.deepEqual(await valueOf(program.edge as pulumi.Output<unknown>), {
      name: "slipway-edge",
      managed: false,
      image: null,
      httpPort: null,
      httpsPort: null,
    });
    assert.deepEqual(Object.keys(program.services as object), ["api-prod", "web-prod"]);
    assert.deepEqual(await valueOf(program.accessories as pulumi.Output<unknown>), {
      postgres: {
        name: "postgres",
        image: "postgres",
        ref: `127.0.0.1:5000/slipway/postgres@${digest}`,
        hosts: ["local"],
        volumes: ["data"],
      },
    });
  });
});

describe("the program for the local stack with web in maintenance (slipway:maintenance)", function () {
  this.timeout(20_000);
  let recorded: Recorded[];
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    const config = {
      ...engineConfig("local"),
      "slipway:maintenance": JSON.stringify({ web: { retryAfter: 30 } }),
    };
    ({ recorded } = await runProgram("local", config));
  });
  after(() => restoreHome());

  it("switches the page on after web's deployment on the host, and off when the entry goes", () => {
    const where = {
      host: "local",
      stack: "local",
      service: "web",
      stateRoot: "/var/lib/slipway",
      edge: "slipway-edge",
    };
    assert.equal(one(recorded, "web-local-maintenance").type, "slipway:deploy:HostMaintenance");
    const command = one(recorded, "web-local-maintenance-switch");
    assert.equal(command.type, "command:remote:Command");
    assert.equal(command.options.parent, "web-local-maintenance");
    assert.deepEqual(
      {
        create: command.inputs.create,
        update: command.inputs.update,
        delete: command.inputs.delete,
        stdin: command.inputs.stdin,
        triggers: command.inputs.triggers,
      },
      {
        create: BOOTSTRAP_COMMAND,
        update: BOOTSTRAP_COMMAND,
        delete: maintenanceScript({ ...where, mode: { kind: "off" } }),
        stdin: bootstrapStdin(
          maintenanceScript({
            ...where,
            mode: { kind: "on", message: DEFAULT_MAINTENANCE_MESSAGE, retryAfter: 30 },
          }),
        ),
        triggers: undefined,
      },
    );
    const deps = command.options.dependsOn ?? [];
    assert.ok(deps.includes("web-local-release"), `after web's release: ${deps.join(", ")}`);
    assert.deepEqual(
      recorded.filter((r) => r.name.includes("maintenance")).map((r) => r.name),
      ["web-local-maintenance", "web-local-maintenance-switch"],
    );
  });
});

describe("the program for the local stack with a canary on web (slipway:services.web.rollout)", function () {
  this.timeout(20_000);
  let recorded: Recorded[];
  let restoreHome: () => void;

  before(async () => {
    restoreHome = fakeHome();
    const config = engineConfig("local");
    const services = JSON.parse(config["slipway:services"]!) as Record<string, any>;
    services.web.rollout = { strategy: "canary", steps: [{ weight: 10, pause: 30 }], sticky: true };
    ({ recorded } = await runProgram("local", {
      ...config,
      "slipway:services": JSON.stringify(services),
    }));
  });
  after(() => restoreHome());

  const stdinOf = (name: string): string => {
    const stdin = secrecy(one(recorded, name).inputs.stdin);
    assert.ok("secret" in stdin, `${name}: stdin carries the payload, so it is secret`);
    return String(stdin.secret);
  };

  it("is not refused: web's one deploy command walks the canary, judged by the edge's Caddy", () => {
    const script = stdinOf("web-local-release");
    assert.ok(
      script.includes("    1) weight=10; pause=30; split_text='@next 10\n@previous 90\n' ;;"),
      "the step in the header",
    );
    assert.ok(script.includes("caddy slipway-split-judge --start - "), "the edge's judge");
    assert.ok(script.includes('"sticky":true'), "the routes through the sticky split");
    const api = stdinOf("api-local-release");
    assert.ok(!api.includes("canary_step"), "only web walks a canary");
  });
});
