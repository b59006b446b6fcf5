/**
 * Rollout time and failed requests, the SSH path and the Kubernetes target side by side, on
 * the same image (one twin of the project, test/helpers/twin.ts: `local` over SSH through
 * its edge and `local-k8s` on the local cluster, both building the sample app for
 * linux/amd64 from the same commit into the same repository, so both run the same digest):
 *
 *   npx ts-node --transpile-only bench/kubernetes.ts [rounds]
 *
 * For each target: the first `pulumi up` (no load), then `rounds` releases (a new commit +
 * `pulumi up`), each under two loads at once — keep-alive (4 sockets kept open) and fresh
 * connections (2 loops, a new TCP connection per request) — checking every answer's body.
 * Needs the services and the cluster (scripts/services.sh up; scripts/services.sh up
 * cluster) and the engine. Prints a Markdown table and writes bench/results/kubernetes-<time>.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { load, sleep, type LoadCount } from "../test/helpers/load";
import { servicesUp } from "../test/helpers/services";
import { makeTwin, webOnly, type Twin } from "../test/helpers/twin";
import { median } from "./stats";

const NAMESPACE = "slipway-bench-k8s";
const HTTP_PORT = 28380;
const HTTPS_PORT = 28743;
const NODE_PORT = 30095;
/** Any host name reaches the local stack's catch-all route. */
const HOST = "bench.slipway.invalid";

interface Release {
  readonly target: "ssh" | "kubernetes";
  readonly release: string;
  readonly seconds: number;
  readonly keepAlive: LoadCount;
  readonly fresh: LoadCount;
}

async function timedUp(stack: Stack): Promise<number> {
  const started = Date.now();
  const result = await stack.up({ onOutput: () => undefined });
  if (result.summary.result !== "succeeded") {
    throw new Error(`pulumi up --stack ${stack.name}: ${result.summary.result}`);
  }
  return (Date.now() - started) / 1000;
}

async function releaseUnderLoad(
  twin: Twin,
  stack: Stack,
  target: Release["target"],
  port: number,
  id: string,
): Promise<Release> {
  const file = target === "ssh" ? "local" : "local-k8s";
  twin.edit(file, (doc) =>
    doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: id }),
  );
  twin.git("commit", "-qam", `bench: ${target} release ${id}`);
  const keepAlive = load(port, HOST, "/cgi-bin/version", true, 4);
  const fresh = load(port, HOST, "/cgi-bin/version", false, 2);
  await sleep(1000);
  const seconds = await timedUp(stack);
  await sleep(1500);
  const release = {
    target,
    release: id,
    seconds,
    keepAlive: await keepAlive.stop(),
    fresh: await fresh.stop(),
  };
  console.log(
    `${target} ${id}: ${seconds.toFixed(1)} s; keep-alive ${release.keepAlive.failures}/${release.keepAlive.requests} failed, fresh ${release.fresh.failures}/${release.fresh.requests} failed`,
    release.keepAlive.errors.slice(0, 3),
    release.fresh.errors.slice(0, 3),
  );
  return release;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? "3");
  const results = await servicesUp([
    "docker",
    "registry",
    "sshd",
    "binfmt",
    "buildkitd",
    "cluster",
  ]);
  console.log(
    Object.entries(results)
      .map(([name, r]) => `${name}: ${r?.state}`)
      .join(", "),
  );
  const twin = makeTwin(
    {
      namespace: NAMESPACE,
      prefix: "bench-k8s",
      edge: "bench-k8s-edge",
      httpPort: HTTP_PORT,
      httpsPort: HTTPS_PORT,
    },
    "bench: twin",
  );
  const releases: Release[] = [];
  const first: Record<string, number> = {};
  try {
    twin.edit("local", (doc) => {
      // The same image as local-k8s: one platform, the same commit and repository.
      doc.setIn(["config", "slipway:images", "web", "build", "platforms"], ["linux/amd64"]);
      doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: "r0" });
      // No SBOM, signature or scan on either side: the rollout is what is measured.
      doc.setIn(
        ["config", "slipway:attestations"],
        doc.createNode({ provenance: "max", sbom: false, sign: false }),
      );
      doc.deleteIn(["config", "slipway:scan"]);
    });
    twin.edit("local-k8s", (doc) => {
      webOnly(doc);
      doc.setIn(["config", "slipway:registry", "namespace"], NAMESPACE);
      doc.setIn(["config", "slipway:kubernetes", "namespace"], "bench-k8s");
      doc.setIn(["config", "slipway:kubernetes", "nodePort"], NODE_PORT);
      doc.setIn(["config", "slipway:images", "web", "build", "args"], { APP_RELEASE: "r0" });
    });
    twin.git("commit", "-qam", "bench: r0");
    const ssh = await twin.stack("local");
    const kube = await twin.stack("local-k8s");
    first.ssh = await timedUp(ssh);
    first.kubernetes = await timedUp(kube);
    console.log(
      `first pulumi up: ssh ${first.ssh.toFixed(1)} s, kubernetes ${first.kubernetes.toFixed(1)} s`,
    );
    for (let round = 1; round <= rounds; round++) {
      // The same release id on both: the same commit content, so the same image digest.
      const id = `r${round}`;
      releases.push(await releaseUnderLoad(twin, ssh, "ssh", HTTP_PORT, id));
      releases.push(await releaseUnderLoad(twin, kube, "kubernetes", NODE_PORT, id));
    }
  } finally {
    for (const stack of ["local-k8s", "local"]) {
      const destroyed = twin.shell(`pulumi destroy --stack ${stack} --yes --non-interactive`);
      if (destroyed.code !== 0) {
        console.error(destroyed.output);
      }
    }
    twin.remove();
  }

  const rows = (["ssh", "kubernetes"] as const).map((target) => {
    const mine = releases.filter((r) => r.target === target);
    const sum = (pick: (r: Release) => LoadCount, key: "failures" | "requests") =>
      mine.reduce((total, r) => total + pick(r)[key], 0);
    return `| ${target} | ${first[target]!.toFixed(1)} | ${median(mine.map((r) => r.seconds)).toFixed(1)} (${mine.map((r) => r.seconds.toFixed(1)).join(", ")}) | ${sum((r) => r.keepAlive, "failures")} / ${sum((r) => r.keepAlive, "requests")} | ${sum((r) => r.fresh, "failures")} / ${sum((r) => r.fresh, "requests")} |`;
  });
  const table = [
    `| target | first pulumi up (s) | release, median of ${rounds} (s) | keep-alive failed / requests | fresh failed / requests |`,
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
  console.log(`\n${table}\n`);
  const dir = path.join(__dirname, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `kubernetes-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(file, JSON.stringify({ first, releases, table }, null, 2));
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
