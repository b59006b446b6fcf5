/**
 * What `pulumi destroy` leaves on a host. The stack's resources are created with the scripts
 * the program renders (edge, a routed service, a worker, two accessories with a volume each)
 * and then deleted as the engine deletes them (dependents first: services, then accessories,
 * then the edge; each delete runs its script text as the command). Everything the stack made
 * is listed before and after from the host itself: containers, networks, volumes, files under
 * the state root. What remains is exactly what the docs say destroy keeps.
 */
import { strict as assert } from "node:assert";
import {
  accessoryRemoveScript,
  accessoryScript,
  deployScript,
  edgeRemoveScript,
  edgeScript,
  stopScript,
  type AccessoryDefinition,
  type ServiceDefinition,
} from "../../src/deploy";
import { run, sshExec, useServices } from "../helpers/services";
import {
  itEdge,
  localDefinition,
  payloadFor,
  runDelete,
  runScript,
  sharedReleases,
  type ReleaseSet,
  type ScriptRun,
} from "./deploy-fixture";

function output(run: ScriptRun): string {
  return `${run.stdout}\n${run.stderr}`;
}

const STACK = "it-destroy";
const ROOT = "/var/lib/slipway-destroy";
const NETWORK = "slipway-it-destroy";
const EDGE = "it-destroy-edge";

/** What the host holds that this stack could have made: by name, under the state root. */
async function onHost(): Promise<string[]> {
  const names = async (args: string[]) =>
    (await run("docker", args)).stdout
      .split("\n")
      .filter((name) => name.startsWith("it-destroy") || name.startsWith(NETWORK))
      .map((name) => `${args[0]} ${name}`);
  const files = await sshExec(`cd ${ROOT} 2>/dev/null && find . -mindepth 1 | sort`);
  return [
    ...(await names(["container", "ls", "--all", "--format", "{{.Names}}"])),
    ...(await names(["network", "ls", "--format", "{{.Name}}"])),
    ...(await names(["volume", "ls", "--format", "{{.Name}}"])),
    ...files.stdout
      .split("\n")
      .filter(Boolean)
      .map((file) => `file ${ROOT}/${file.slice(2)}`),
  ].sort();
}

describe("pulumi destroy leaves on a host only what the docs say it keeps (real sshd, Docker engine and registry)", function () {
  this.timeout(600_000);
  useServices(["docker", "registry", "sshd"]);

  let releases: ReleaseSet;
  const edge = () =>
    itEdge(releases.edge.ref, {
      name: EDGE,
      stack: STACK,
      stateRoot: ROOT,
      httpPort: 29180,
      httpsPort: 29543,
    });
  const service = (name: string, extra: Partial<ServiceDefinition> = {}): ServiceDefinition =>
    localDefinition(name, releases.a, {
      stack: STACK,
      edge: EDGE,
      stateRoot: ROOT,
      network: NETWORK,
      // A worker is healthy by the image's Docker health check, whose first run may take
      // longer than the fixture's 5 s on a loaded machine.
      healthTimeoutSeconds: 60,
      ...extra,
    });
  const services = () => [service("it-destroy-web"), service("it-destroy-worker", { routes: [] })];
  const accessory = (name: string): AccessoryDefinition => ({
    host: "local",
    stack: STACK,
    name,
    stateRoot: ROOT,
    network: NETWORK,
    image: "web",
    ref: releases.a.ref,
    command: [],
    env: {},
    secretEnvNames: [],
    volumes: { data: "/data" },
    ports: [],
    healthTimeoutSeconds: 30,
  });
  const accessories = () => [accessory("kept"), accessory("dropped")];

  async function destroyAll(): Promise<void> {
    for (const def of services()) await runDelete(stopScript(def));
    for (const def of accessories()) {
      await runDelete(
        accessoryRemoveScript({ ...def, volumes: ["data"], deleteVolumes: def.name === "dropped" }),
      );
    }
    await runDelete(edgeRemoveScript(edge()));
  }

  before(async function () {
    releases = await sharedReleases();
  });

  after(async function () {
    if (releases === undefined) return;
    await destroyAll();
    await run("docker", ["volume", "rm", `${EDGE}-data`, `${NETWORK}-kept-data`]);
    await sshExec(`rm -rf ${ROOT}`);
  });

  it("after up: the edge, both services, both accessories, the network, volumes and state", async () => {
    const made = await runScript(edgeScript(edge()));
    assert.equal(made.code, 0, output(made));
    for (const def of accessories()) {
      const up = await runScript(accessoryScript(def), payloadFor({}));
      assert.equal(up.code, 0, output(up));
    }
    for (const def of services()) {
      const up = await runScript(deployScript(def), payloadFor({}));
      assert.equal(up.code, 0, output(up));
    }
    const listed = await onHost();
    for (const expected of [
      `container ${EDGE}`,
      `container ${NETWORK}-kept`,
      `container ${NETWORK}-dropped`,
      `network ${NETWORK}`,
      `volume ${EDGE}-data`,
      `volume ${NETWORK}-kept-data`,
      `volume ${NETWORK}-dropped-data`,
      `file ${ROOT}/it-destroy-web/release.json`,
      `file ${ROOT}/it-destroy-worker/release.json`,
      `file ${ROOT}/_edge/${EDGE}/caddy.json`,
    ]) {
      assert.ok(listed.includes(expected), `${expected} in\n${listed.join("\n")}`);
    }
    assert.ok(listed.some((line) => line.startsWith("container it-destroy-web-")));
    assert.ok(listed.some((line) => line.startsWith("container it-destroy-worker-")));
  });

  it("after destroy: the volume not opted in and the edge's certificates, nothing else", async () => {
    await destroyAll();
    assert.deepEqual(await onHost(), [`volume ${EDGE}-data`, `volume ${NETWORK}-kept-data`]);
  });
});
