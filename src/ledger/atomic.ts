import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { ConflictError } from "./errors";

/** The text of a file, or undefined when it does not exist. */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return undefined;
    }
    throw error;
  }
}

interface AtomicWriteOptions {
  /**
   * The text the file had when it was read (undefined: it did not exist). When the file now
   * differs, nothing is written and a ConflictError is thrown.
   */
  readonly expected: string | undefined;
  /** Shown in the error, e.g. `Pulumi.prod.yaml`. */
  readonly display?: string;
  /** What to run after a conflict. */
  readonly next?: readonly string[];
}

/**
 * Replaces a file's text all at once: writes a temporary file beside it, flushes it, and
 * renames it over the original, so a reader (or a crash) sees the old text or the new one,
 * never half of it. Keeps the file's mode.
 */
export function writeFileAtomic(file: string, text: string, options: AtomicWriteOptions): void {
  const display = options.display ?? file;
  if (readIfExists(file) !== options.expected) {
    throw new ConflictError(display, options.next);
  }
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const mode = options.expected === undefined ? 0o644 : fs.statSync(file).mode & 0o777;
  const temp = path.join(
    dir,
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    const fd = fs.openSync(temp, "wx", mode);
    try {
      fs.writeFileSync(fd, text, "utf8");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (readIfExists(file) !== options.expected) {
      throw new ConflictError(display, options.next);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  try {
    const dirFd = fs.openSync(dir, "r");
    fs.fsyncSync(dirFd);
    fs.closeSync(dirFd);
  } catch {
    // Directories cannot be opened for fsync on every platform; the rename is done.
  }
}
