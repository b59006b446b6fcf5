import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider as Pulumi's dynamic-provider host runs it: serialized by Pulumi's closure
 * serializer, written out as plain JavaScript and loaded back with require (no ts-node, no
 * project modules). A provider that cannot be serialized fails here, not in `pulumi up`.
 */
export async function serializedProvider(
  provider: pulumi.dynamic.ResourceProvider,
): Promise<Required<pulumi.dynamic.ResourceProvider>> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-dynamic-"));
  const file = path.join(dir, "provider.js");
  fs.writeFileSync(file, serialized.text);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(file) as { handler: () => Required<pulumi.dynamic.ResourceProvider> };
    return loaded.handler();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
