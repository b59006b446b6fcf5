/** One `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"`. */
interface Challenge {
  /** Lowercased: `bearer` or `basic`. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const PARAM = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;

/**
 * Parses a `WWW-Authenticate` header with one challenge, as registries send it. Returns
 * undefined when there is no scheme.
 */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/.exec(header);
  if (match === null) {
    return undefined;
  }
  const params: Record<string, string> = {};
  PARAM.lastIndex = match[0].length;
  let param: RegExpExecArray | null;
  while (PARAM.lastIndex < header.length && (param = PARAM.exec(header)) !== null) {
    params[param[1]!.toLowerCase()] =
      param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : param[3]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}
