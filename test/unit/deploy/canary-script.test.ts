/**
 * The text of a canary deploy (`rollout.strategy: canary`): the check before anything starts,
 * the steps in the header (each split file rendered by src/edge), the edge Caddy's judge as an
 * argument list, routes through the split handler, and where the walk sits in the flow.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  canaryStepFunction,
  DefinitionError,
  deployScript,
  renderDefinition,
  SPLIT_FLUSH_SECONDS,
  type ServiceDefinition,
} from "../../../src/deploy";
import { canarySplit, routeFileText, routeLines } from "../../../src/edge";
import { lines, sh, tempDir, typicalDefinition } from "./fixtures";

const CANARY = {
  strategy: "canary" as const,
  steps: [
    { weight: 10, pause: 60 },
    { weight: 50, pause: 30 },
  ],
  analysis: { maxErrorRate: 1, minRequests: 20, maxP95Ms: 300 },
  sticky: true,
};

function canaryDefinition(overrides: Partial<ServiceDefinition> = {}): ServiceDefinition {
  return typicalDefinition({ rollout: CANARY, ...overrides });
}

/** The index of the one line equal to `line`; fails when it is missing or not unique. */
function indexOfLine(script: string, line: string): number {
  const found = lines(script).flatMap((candidate, index) => (candidate === line ? [index] : []));
  assert.equal(found.length, 1, `expected exactly one line ${JSON.stringify(line)}`);
  return found[0]!;
}

describe("deploy/canary-script: the text of a canary deploy", () => {
  const def = canaryDefinition();
  const script = deployScript(def);

  it("passes each step's weight, pause and split file (src/edge) in the header", () => {
    assert.deepEqual(canaryStepFunction(CANARY.steps), [
      "canary_step() {",
      "  case $1 in",
      "    1) weight=10; pause=60; split_text='@next 10\n@previous 90\n' ;;",
      "    2) weight=50; pause=30; split_text='@next 50\n@previous 50\n' ;;",
      "    *) return 1 ;;",
      "  esac",
      "}",
    ]);
    assert.ok(script.includes(canaryStepFunction(CANARY.steps).join("\n")));
    indexOfLine(script, `split_flush=${SPLIT_FLUSH_SECONDS}`);
    assert.equal(SPLIT_FLUSH_SECONDS, 1.5);
  });

  it("fills the stand-ins on the host to exactly the split file src/edge renders", async () => {
    const run = await sh(
      [
        ...canaryStepFunction(CANARY.steps),
        "next_dials=web-12-ab:8080 canary_from=web-34-cd:8080 tmp=$(mktemp -d)",
        'for step in 1 2; do canary_step "$step"',
        ...lines(script).filter((line) => line.startsWith("if ! printf '%s' \"$split_text\"")),
        '  :; fi; cat "$tmp"/split; done; rm -rf "$tmp"',
      ].join("\n"),
    );
    assert.equal(
      run.stdout,
      canarySplit(["web-12-ab:8080"], ["web-34-cd:8080"], 10) +
        canarySplit(["web-12-ab:8080"], ["web-34-cd:8080"], 50),
    );
  });

  it("reads the counters and judges with the edge's own Caddy, as argument lists", () => {
    indexOfLine(
      script,
      'split_stats() { docker exec "$caddy" /bin/busybox cat /run/caddy/split/web.json; }',
    );
    indexOfLine(
      script,
      `split_judge() { docker exec --interactive "$caddy" caddy slipway-split-judge --start - --end /run/caddy/split/web.json --side "$next_dials" --label 'canary '"$weight"% --max-error-rate 1 --min-requests 20 --max-p95-ms 300; }`,
    );
    indexOfLine(script, 'split_judge_probe() { docker exec "$caddy" caddy slipway-split-judge; }');
    // Without maxP95Ms, latency is not judged; the defaults of rollout.analysis apply.
    const plain = deployScript(canaryDefinition({ rollout: { ...CANARY, analysis: undefined } }));
    indexOfLine(
      plain,
      `split_judge() { docker exec --interactive "$caddy" caddy slipway-split-judge --start - --end /run/caddy/split/web.json --side "$next_dials" --label 'canary '"$weight"% --max-error-rate 1 --min-requests 20; }`,
    );
  });

  it("routes through the split handler, sticky as configured", () => {
    const text = routeFileText(routeLines("web", def.routes, ["web"], { sticky: true }));
    assert.ok(script.includes(`routes_text='${text}'`));
    assert.ok(text.includes('"handler":"slipway_split"'));
    assert.ok(text.includes('"sticky":true'));
    const loose = deployScript(canaryDefinition({ rollout: { ...CANARY, sticky: undefined } }));
    assert.ok(!loose.includes('"sticky":true') && loose.includes('"handler":"slipway_split"'));
    assert.ok(!deployScript(typicalDefinition()).includes("slipway_split"));
  });

  it("checks the judge before the release starts, walks after the routes and before the switch", () => {
    const order = [
      'if [ "$edge_running" != true ]; then',
      'if [ "$probe_status" != 2 ]; then',
      'name="$release_prefix$suffix"',
      "if ! wait_healthy; then",
      'mv -f "$tmp"/routes "$edge"/routes/"$service"',
      'while canary_step "$step"; do',
      'mv -f "$tmp"/split "$edge"/split/"$service"',
      'verdict=$(split_judge < "$tmp"/split-start.json 2> "$tmp"/split.err) || judged=$?',
      'mv -f "$tmp"/upstream "$edge"/upstreams/"$service"',
      'rm -f "$edge"/split/"$service"',
      "if ! verify_edge; then",
      'retire "$current" "$drain_seconds" "$warm_for"',
    ].map((line) => {
      const all = lines(script).flatMap((candidate, index) => (candidate === line ? [index] : []));
      assert.ok(all.length > 0, `no line ${JSON.stringify(line)}`);
      return all.at(-1)!;
    });
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    // Without a rollout: no check, no walk; the switch still drops a split file of before.
    const plain = deployScript(typicalDefinition());
    assert.ok(!plain.includes("canary_step") && !plain.includes("split_judge"));
    indexOfLine(plain, 'rm -f "$edge"/split/"$service"');
  });

  it("passes shellcheck as POSIX sh", () => {
    const temp = tempDir();
    try {
      const file = path.join(temp.dir, "canary.sh");
      fs.writeFileSync(file, script);
      execFileSync("shellcheck", ["-s", "sh", file]);
    } finally {
      temp.remove();
    }
  });

  it("keeps the definition of a service without a rollout as it was; a rollout is part of it", () => {
    assert.ok(!renderDefinition(typicalDefinition()).includes("rollout"));
    assert.ok(renderDefinition(def).endsWith(`,"rollout":${JSON.stringify(CANARY)}}`));
  });

  it("refuses a canary the deploy cannot walk", () => {
    assert.throws(
      () => deployScript(canaryDefinition({ routes: [], routeInstances: ["web", "web.2"] })),
      new DefinitionError([
        "rollout: a canary needs routes (a worker gets no requests to split)",
        "rollout: a canary walks one release container per host, not replicas",
      ]),
    );
    assert.throws(
      () => deployScript(canaryDefinition({ rollout: { strategy: "canary", steps: [] } })),
      new DefinitionError(["rollout: a canary needs steps"]),
    );
    assert.throws(
      () =>
        deployScript(
          canaryDefinition({
            routes: [],
            routeInstances: ["web", "web.2"],
            rollout: { strategy: "blueGreen", preview: {} },
          }),
        ),
      new DefinitionError([
        "rollout: a blueGreen needs routes (a worker gets no requests to preview)",
        "rollout: a blueGreen previews one release container per host, not replicas",
        "rollout: a blueGreen needs a preview host or header",
      ]),
    );
  });
});
