import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * The kubeconfig the provider uses when the stack gives none: the first file of KUBECONFIG,
 * else ~/.kube/config. Read only when Slipway itself must call the API (the revert).
 */
export function ambientKubeconfig(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((entry) => entry !== "");
  const file = first ?? path.join(os.homedir(), ".kube", "config");
  return fs.readFileSync(file, "utf8");
}
