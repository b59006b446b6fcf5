import * as os from "node:os";
import * as path from "node:path";

/** `~/x` → `<home>/x`; other paths unchanged. The one place config paths are expanded. */
export function expandHome(file: string, home: string = os.homedir()): string {
  if (file === "~") {
    return home;
  }
  return file.startsWith("~/") ? path.join(home, file.slice(2)) : file;
}
