/**
 * Nothing is applied until every look-up has passed: the composed program for the prod stack
 * (two hosts, a GitHub environment with reviewers) under Pulumi's mocks. `slipway promote`,
 * `rollback` and `up` run the update through the Automation API without a preview, so the
 * engine acts on each registration as it arrives: what matters is what reaches it, and when.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, waitForRPCs } from "../helpers/mocks";
import { sourceFromStackFile } from "../helpers/stack-files";

const USERS: Record<string, string> = { alice: "1001", bob: "1002" };
const TEAMS: Record<string, string> = { platform: "2001" };
const PROGRAM = require.resolve("../../stacks/index");

/** What changes a host or a registry. */
const CHANGES_THE_WORLD = [
  "slipway:deploy:HostDeployment",
  "command:remote:Command",
  "command:local:Command",
  "docker-build:index:Image",
];

/** The prod stack's config as the engine hands it over (secure leaves decrypted to stand-ins). */
function prodConfig(users: readonly string[]): Record<string, string> {
  const values = { ...sourceFromStackFile("prod").values } as Record<string, any>;
  values.github = { ...values.github, reviewers: { ...values.github.reviewers, users } };
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      `slipway:${key}`,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/**
 * Runs the program with look-ups that answer after `delayMs`; returns what reached the
 * engine, in order, interleaved with the look-up answers.
 */
async function run(users: readonly string[], delayMs: number): Promise<string[]> {
  const events: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as object }),
      async call(args) {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const inputs = args.inputs as { username?: string; slug?: string };
        const id = inputs.username === undefined ? TEAMS[inputs.slug!] : USERS[inputs.username];
        const name = inputs.username ?? inputs.slug!;
        events.push(`look-up ${name} ${id === undefined ? "failed" : "answered"}`);
        if (id === undefined) {
          throw new Error(
            `1 error occurred:\n\t* GET https://api.github.com/users/${name}: 404 Not Found []`,
          );
        }
        return { id };
      },
    },
    "slipway",
    "prod",
    false,
  );
  pulumi.runtime.setAllConfig(prodConfig(users), []);
  await recordRegistrations((registration) =>
    events.push(`register ${registration.type} ${registration.name}`),
  );
  delete require.cache[PROGRAM];
  const program = (await import("../../stacks/index")) as { deployed: unknown };
  assert.ok(program.deployed !== undefined);
  // A failed gate leaves registrations that never complete, so waitForRPCs would wait forever
  // then: wait for it, or (bounded) for the rejection to reach every waiting registration.
  await Promise.race([
    waitForRPCs(),
    new Promise((resolve) => setTimeout(resolve, delayMs * 4 + 500)),
  ]);
  return events;
}

const saved = Object.fromEntries(
  ["GITHUB_TOKEN", "GITHUB_OWNER", "GITHUB_ORGANIZATION", "GITHUB_BASE_URL"].map((name) => [
    name,
    process.env[name],
  ]),
);

describe("nothing is applied until every look-up has passed", () => {
  before(() => {
    for (const name of Object.keys(saved)) delete process.env[name];
  });
  after(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value !== undefined) process.env[name] = value;
    }
    delete require.cache[PROGRAM];
    pulumi.runtime.setAllConfig({}, []);
  });

  it("an unknown reviewer: no host, image or command reaches the engine", async () => {
    const events = await run(["alice", "carol"], 20);
    assert.ok(events.includes("look-up carol failed"));
    const registered = events.filter((event) => event.startsWith("register "));
    assert.deepEqual(
      registered.filter((event) => CHANGES_THE_WORLD.some((type) => event.includes(` ${type} `))),
      [],
    );
    assert.deepEqual(registered.sort(), [
      "register pulumi:providers:github github-provider",
      "register slipway:github:DeploymentEnvironment github",
    ]);
  });

  it("known reviewers: the hosts are registered only after the last look-up answered", async () => {
    const events = await run(["alice", "bob"], 30);
    const lastLookUp = Math.max(
      ...events.flatMap((event, index) => (event.startsWith("look-up ") ? [index] : [])),
    );
    assert.equal(events.filter((event) => event.startsWith("look-up ")).length, 3);
    const hosts = events.flatMap((event, index) =>
      CHANGES_THE_WORLD.some((type) => event.includes(` ${type} `)) ? [{ event, index }] : [],
    );
    assert.deepEqual(hosts.map(({ event }) => event).sort(), [
      "register command:local:Command github-prune-policies",
      // The repository check (read-only, but a command: it waits like the rest).
      "register command:local:Command web-check",
      // The signature verification of slipway:verify (read-only too).
      "register command:local:Command web-verify-verify",
      "register command:remote:Command slipway-edge-web-1-edge",
      "register command:remote:Command slipway-edge-web-2-edge",
      "register command:remote:Command web-web-1-release",
      "register command:remote:Command web-web-1-service",
      "register command:remote:Command web-web-2-release",
      "register command:remote:Command web-web-2-service",
      "register slipway:deploy:HostDeployment web-web-1",
      "register slipway:deploy:HostDeployment web-web-2",
    ]);
    for (const { event, index } of hosts) {
      assert.ok(index > lastLookUp, `${event} reached the engine before the look-ups passed`);
    }
  });
});
