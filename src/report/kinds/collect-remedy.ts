/**
 * What to do about a failed collect call, by the error's name (the SDK's
 * error class or AWS's error code, which collect records first). One line.
 */
const REMEDIES: [RegExp, string][] = [
  [/^CredentialsProviderError$/, 'no AWS credentials found: run `aws configure` or `aws sso login`, or set AWS_PROFILE / AWS_ACCESS_KEY_ID'],
  [/^(ExpiredToken|ExpiredTokenException|RequestExpired)$/, 'the AWS session expired: log in again (`aws sso login`) and re-run'],
  [/^(UnauthorizedOperation|AccessDenied|AccessDeniedException|AuthFailure)$/, 'the identity lacks read permission: grant the read-only IAM actions docs/collect.md lists'],
  [/^(InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClientException)$/, 'the AWS credentials are not valid: check the access key and secret (or the profile)'],
  [/^(UnknownEndpoint|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|TimeoutError)$/, 'AWS or the API server was not reachable: check the region, the network and any proxy'],
  [/^(ENOENT|kubeconfig)$/, 'no kubeconfig: set KUBECONFIG or give --context (docs/collect.md)'],
  [/^(Forbidden|HttpError 403)$/, 'the Kubernetes identity lacks list permission: grant the RBAC verbs docs/collect.md lists'],
];

/** The error's name: the part before the first `:`. */
export function errorName(error: string): string {
  return error.split(':')[0]!.trim();
}

/** A one-line remedy for a failure, or undefined when podpath has none to offer. */
export function remedyFor(call: string, error: string): string | undefined {
  const name = call === 'kubeconfig' ? 'kubeconfig' : errorName(error);
  return REMEDIES.find(([re]) => re.test(name))?.[1];
}

/** Failures grouped by their error: one entry per distinct error, with the calls it hit. */
export function distinctFailures(failures: { call: string; error: string }[]): { error: string; calls: string[]; remedy?: string }[] {
  const groups = new Map<string, { error: string; calls: string[]; remedy?: string }>();
  for (const f of failures) {
    const g = groups.get(f.error);
    if (g) g.calls.push(f.call);
    else {
      const remedy = remedyFor(f.call, f.error);
      groups.set(f.error, { error: f.error, calls: [f.call], ...(remedy ? { remedy } : {}) });
    }
  }
  return [...groups.values()];
}
