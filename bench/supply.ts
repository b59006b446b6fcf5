/**
 * Supply-chain benchmark: the time the gate adds per image, on the `scannable` sample image
 * (examples/app/, both platforms, a dpkg status with the seeded CVE, allowed so the scan passes).
 *
 *   npx ts-node --transpile-only bench/supply.ts [--reps N]
 *
 * Per repetition, a new digest (build arg APP_RELEASE) is built, pushed and signed (build
 * and signing are not counted), then:
 *   1. cold: the scripts the resources run for a new digest, run as they run them
 *      (`/bin/sh -c`): SBOM of both platforms (syft, cosign attest), scan (trivy, offline
 *      database written from test/fixtures/supply/advisories.json, cosign attest), and the
 *      promote stack's verification (cosign verify, verify-attestation);
 *   2. unchanged digest: `pulumi up` (Automation API, inline program, own file backend) of a
 *      SupplyChain + Verification for that digest, after a first up, against the same `up` of
 *      a program without them: the difference is what an unchanged digest adds.
 * Starts what it needs with `scripts/services.sh up --hold` and releases it; prints a Markdown
 * table and writes bench/results/supply-<time>.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attestScript } from "../src/images";
import { sbomScript, scanScript, verifyScript, policyKey } from "../src/supply";
import type { ScanConfig, VerifyConfig } from "../src/config";
import {
  APP_DIR,
  BUILDX_BUILDER,
  ensureBusybox,
  getManifest,
  REGISTRY,
  REPO_ROOT,
  run,
  runOk,
  servicesRelease,
  servicesUp,
  SLIPWAY_HOME,
  uniqueTag,
} from "../test/helpers/services";
import { median } from "./stats";

const BIN = path.join(SLIPWAY_HOME, "bin");
const reps = Number(process.argv[process.argv.indexOf("--reps") + 1] ?? "3") || 3;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-supply-bench-"));
process.env.PATH = `${BIN}${path.delimiter}${process.env.PATH ?? ""}`;
process.env.PULUMI_HOME = process.env.PULUMI_HOME ?? path.join(SLIPWAY_HOME, "pulumi-home");
process.env.PULUMI_BACKEND_URL = `file://${path.join(work, "backend")}`;
process.env.PULUMI_CONFIG_PASSPHRASE = "";
process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
fs.mkdirSync(path.join(work, "backend"));

async function timed<T>(what: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await what();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}

async function sh(script: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const { seconds, value } = await timed(() =>
    run("/bin/sh", ["-c", script], { timeoutMs: 600_000, env: { ...process.env, ...env } }),
  );
  if (value.code !== 0) {
    throw new Error(`script failed (${value.code}):\n${value.stderr}`);
  }
  return seconds;
}

async function main(): Promise<void> {
  const hold = `bench-supply-${process.pid}`;
  await servicesUp(["binfmt", "docker", "registry"], ["buildkitd"], hold);
  try {
    await ensureBusybox();
    await runOk("cosign", ["generate-key-pair"], {
      cwd: work,
      env: { ...process.env, COSIGN_PASSWORD: "" },
    });
    const key = fs.readFileSync(path.join(work, "cosign.key"), "utf8");
    const signEnv = { COSIGN_PRIVATE_KEY: key, COSIGN_PASSWORD: "" };
    const cacheDir = path.join(work, "trivy");
    await runOk(path.join(BIN, "slipway-trivy-db"), [
      "-in",
      path.join(REPO_ROOT, "test", "fixtures", "supply", "advisories.json"),
      "-out",
      path.join(cacheDir, "db"),
    ]);
    const scan: ScanConfig = {
      failOn: "CRITICAL",
      allow: [{ id: "CVE-2099-0001", expires: "2099-01-01", reason: "benchmark fixture" }],
      cacheDir,
      offline: true,
    };
    const verify: VerifyConfig = {
      publicKeyFile: path.join(work, "cosign.pub"),
      require: ["sbom", "scan"],
      maxScanAgeDays: 7,
    };
    const publicKey = fs.readFileSync(path.join(work, "cosign.pub"), "utf8");
    const platforms = ["linux/amd64", "linux/arm64"];
    const namespace = `bench-supply-${uniqueTag("b")}`;
    const automation = await import("@pulumi/pulumi/automation");
    const { SupplyChain, Verification } = await import("../infra/supply");

    const rows: { sbom: number; scan: number; verify: number; unchanged: number; empty: number }[] =
      [];
    for (let rep = 0; rep < reps; rep++) {
      const tag = `rep${rep}`;
      await runOk(
        "docker",
        [
          "buildx",
          "build",
          "--builder",
          BUILDX_BUILDER,
          "--platform",
          platforms.join(","),
          "--target",
          "scannable",
          "--build-arg",
          `APP_RELEASE=${uniqueTag("r")}`,
          "--provenance=false",
          "--output",
          `type=image,name=${REGISTRY}/${namespace}/web:${tag},push=true,registry.insecure=true`,
          APP_DIR,
        ],
        { timeoutMs: 600_000 },
      );
      const index = await getManifest(`${namespace}/web`, tag);
      const ref = `${REGISTRY}/${namespace}/web@${index.digest}`;
      await sh(attestScript({ ref, attestations: { sign: true }, insecure: true })!, signEnv);

      const sbom = await sh(sbomScript({ ref, platforms, sign: true, insecure: true }), signEnv);
      const scanned = await sh(
        scanScript({ image: "web", ref, platforms, scan, sign: true, insecure: true }),
        signEnv,
      );
      const verified = await sh(
        verifyScript({ image: "web", ref, verify, publicKey, insecure: true }),
      );

      const program = (withSupply: boolean) => () => {
        if (!withSupply) {
          return Promise.resolve({});
        }
        const chain = new SupplyChain("web-supply", {
          ref,
          sbomScript: sbomScript({ ref, platforms, sign: true, insecure: true }),
          scanScript: scanScript({
            image: "web",
            ref,
            platforms,
            scan,
            sign: true,
            insecure: true,
          }),
          scanPolicy: policyKey(scan),
          cosignKey: key,
          cosignPassword: "",
        });
        new Verification(
          "web-verify",
          {
            ref,
            script: verifyScript({ image: "web", ref, verify, publicKey, insecure: true }),
            policy: "bench",
          },
          { dependsOn: [chain] },
        );
        return Promise.resolve({});
      };
      const stackOf = (name: string, withSupply: boolean) =>
        automation.LocalWorkspace.createOrSelectStack(
          { stackName: name, projectName: "slipway-supply-bench", program: program(withSupply) },
          { workDir: work, projectSettings: { name: "slipway-supply-bench", runtime: "nodejs" } },
        );
      const withSupply = await stackOf(`with-${rep}`, true);
      const without = await stackOf(`without-${rep}`, false);
      await withSupply.up();
      await without.up();
      const unchanged = (await timed(() => withSupply.up())).seconds;
      const empty = (await timed(() => without.up())).seconds;
      rows.push({ sbom, scan: scanned, verify: verified, unchanged, empty });
      process.stderr.write(`rep ${rep + 1}/${reps}: ${JSON.stringify(rows[rows.length - 1])}\n`);
    }
    const m = (key: keyof (typeof rows)[number]) => median(rows.map((row) => row[key]));
    const cold = m("sbom") + m("scan") + m("verify");
    const table = [
      `| per image (2 platforms), median of ${reps} | seconds |`,
      "| --- | --- |",
      `| SBOM (syft + cosign attest, both platforms) | ${m("sbom").toFixed(2)} |`,
      `| scan (trivy, offline db + cosign attest) | ${m("scan").toFixed(2)} |`,
      `| verify (cosign verify + 3 verify-attestation) | ${m("verify").toFixed(2)} |`,
      `| **cold total** | **${cold.toFixed(2)}** |`,
      `| \`pulumi up\`, unchanged digest, with SupplyChain + Verification | ${m("unchanged").toFixed(2)} |`,
      `| \`pulumi up\` of the same program without them | ${m("empty").toFixed(2)} |`,
      `| **added by an unchanged digest** | **${(m("unchanged") - m("empty")).toFixed(2)}** |`,
    ].join("\n");
    process.stdout.write(`${table}\n`);
    const results = path.join(REPO_ROOT, "bench", "results");
    fs.mkdirSync(results, { recursive: true });
    fs.writeFileSync(
      path.join(results, `supply-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
      `${JSON.stringify({ reps, rows, cold, unchangedAdded: m("unchanged") - m("empty") }, null, 2)}\n`,
    );
  } finally {
    await servicesRelease(hold);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
