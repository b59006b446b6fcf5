import { strict as assert } from "node:assert";
import { attestScript, provenanceStatement, type ProvenanceInput } from "../../../src/images";

const SHA = "4c2a9e1f0b7d3c5a8e6f4d2b0a9c8e7f6d5c4b3a";
const HEX = "a1".repeat(32);
const REF = `127.0.0.1:5000/slipway/web@sha256:${HEX}`;

const input: ProvenanceInput = {
  plan: {
    repository: "127.0.0.1:5000/slipway/web",
    context: "/repo/app",
    dockerfile: "/repo/app/Dockerfile",
    target: "prod",
    platforms: ["linux/amd64", "linux/arm64"],
    buildArgs: { Z_ARG: "z", APP_RELEASE: "r1" },
    secretIds: ["NPM_TOKEN"],
  },
  source: { sha: SHA, url: "https://github.com/acme/web" },
  mode: "max",
  root: "/repo",
  builder: "slipway",
};

describe("attestations", () => {
  it("provenance is an in-toto SLSA v1 statement about the digest, with no clock in it", () => {
    assert.deepEqual(provenanceStatement(REF, input), {
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "127.0.0.1:5000/slipway/web", digest: { sha256: HEX } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: {
        buildDefinition: {
          buildType: "https://mobyproject.org/buildkit@v1",
          externalParameters: {
            configSource: {
              uri: `git+https://github.com/acme/web@${SHA}`,
              digest: { sha1: SHA },
              path: "app/Dockerfile",
            },
            context: "app",
            request: {
              frontend: "dockerfile.v0",
              platforms: ["linux/amd64", "linux/arm64"],
              target: "prod",
              args: { APP_RELEASE: "r1", Z_ARG: "z" },
              secrets: ["NPM_TOKEN"],
            },
          },
          resolvedDependencies: [
            { uri: `git+https://github.com/acme/web@${SHA}`, digest: { gitCommit: SHA } },
          ],
        },
        runDetails: { builder: { id: "slipway/docker-build/slipway" } },
      },
    });
  });

  it("min provenance leaves out build args and secret ids", () => {
    const statement = provenanceStatement(REF, { ...input, mode: "min" }) as any;
    assert.deepEqual(statement.predicate.buildDefinition.externalParameters.request, {
      frontend: "dockerfile.v0",
      platforms: ["linux/amd64", "linux/arm64"],
      target: "prod",
    });
  });

  it("the script attaches provenance with oras and signs with cosign, secrets only from the environment", () => {
    const script = attestScript({
      ref: REF,
      provenance: input,
      attestations: { sign: true },
      insecure: true,
    })!;
    const lines = script.split("\n").map((line) => line.replace(/^ {2}(?=oras |cosign )/, ""));
    assert.ok(
      lines.includes(
        `oras attach --plain-http --registry-config "$DOCKER_CONFIG/config.json" --artifact-type application/vnd.in-toto+json ${REF} "provenance.json:application/vnd.in-toto+json"`,
      ),
    );
    assert.ok(
      lines.includes(
        `cosign sign --yes --key env://COSIGN_PRIVATE_KEY --tlog-upload=false --allow-http-registry --allow-insecure-registry ${REF}`,
      ),
    );
    const attest = lines.findIndex((line) => line.startsWith("cosign attest "));
    const predicate = lines.findIndex((line) => line.startsWith(`cat >"$work/predicate.json"`));
    assert.ok(
      predicate > 0 && predicate < attest,
      "the predicate is written before cosign attest reads it",
    );
    // The referrer, the signature and the attestation go to three places: written at once.
    assert.deepEqual(
      script
        .split("\n")
        .filter((line) =>
          /^(\(|\) |job_|wait |failed=|\[ "\$failed"|echo "slipway: signed)/.test(line),
        ),
      [
        "(",
        ') >"$work"/provenance.out 2>"$work"/provenance.err &',
        "job_0=$!",
        "(",
        ') >"$work"/signature.out 2>"$work"/signature.err &',
        "job_1=$!",
        "(",
        ') >"$work"/provenance-attestation.out 2>"$work"/provenance-attestation.err &',
        "job_2=$!",
        "failed=0",
        'wait "$job_0" || failed=1',
        'wait "$job_1" || failed=1',
        'wait "$job_2" || failed=1',
        '[ "$failed" -eq 0 ] || exit 1',
        `echo "slipway: signed ${REF}"`,
      ],
    );
    assert.ok(
      lines.includes(
        `  printf '{"auths":{"%s":{"auth":"%s"}}}' 127.0.0.1:5000 "$SLIPWAY_REGISTRY_AUTH" >"$DOCKER_CONFIG/config.json"`,
      ),
    );
  });

  it("nothing to run when everything is off", () => {
    assert.equal(
      attestScript({ ref: REF, attestations: { sign: false }, insecure: false }),
      undefined,
    );
  });

  it("refuses a reference without a digest", () => {
    assert.throws(
      () =>
        attestScript({
          ref: "ghcr.io/acme/web:dev",
          attestations: { sign: true },
          insecure: false,
        }),
      {
        message: `invalid image reference "ghcr.io/acme/web:dev": it has no @sha256:<digest>; pin images by digest, a tag can move`,
      },
    );
  });
});
