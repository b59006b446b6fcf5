/** GitHub's own REST API, the provider's default base URL. */
export const GITHUB_API_URL = "https://api.github.com/";

/**
 * The REST API root the GitHub provider talks to for a `baseUrl`, as go-github's enterprise
 * client computes it: GitHub's own API as given; any other host (GitHub Enterprise Server) gets
 * `api/v3/` appended unless the URL already ends in it or names an `api.` host.
 */
export function apiRoot(baseUrl: string = GITHUB_API_URL): string {
  const url = new URL(baseUrl);
  if (!url.pathname.endsWith("/")) {
    url.pathname += "/";
  }
  const enterprise = url.href !== GITHUB_API_URL;
  if (
    enterprise &&
    !url.pathname.endsWith("/api/v3/") &&
    !url.hostname.startsWith("api.") &&
    !url.hostname.includes(".api.")
  ) {
    url.pathname += "api/v3/";
  }
  return url.href;
}

/** Where the provider will send requests: the configured base URL, else GITHUB_BASE_URL, else GitHub's API. */
export function effectiveBaseUrl(
  configured: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return configured ?? (env.GITHUB_BASE_URL || GITHUB_API_URL);
}
