// What every page script needs to talk to /api/v1 as the signed-in person: the CSRF token
// that goes with the session cookie, and the server's error as a sentence.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)tessera_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/**
 * Calls the API as the signed-in person, with a JSON body or a FormData (uploads). Answers
 * `{ok, status, json}`; for a refusal, `reason(result)` is the server's message.
 */
export async function call(method, path, body) {
  const headers = { "x-csrf-token": csrfToken() };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, json };
}

/** The server's message for a refused call, as it wrote it. */
export function reason(result) {
  return result.json?.error?.message ?? `the server answered ${result.status}`;
}

/** The server's own message for a refused request, or what happened when there is none. */
export async function errorMessage(response) {
  const body = await response.json().catch(() => null);
  if (body?.error?.message) return sentence(body.error.message);
  if (response.status === 413) return "The file is larger than this server accepts.";
  if (response.status >= 500) return "The server could not do it. Try again, or ask an admin to look at its log.";
  return `the server answered ${response.status}.`;
}

/** "unknown column 'x'" reads "Unknown column 'x'." */
export function sentence(text) {
  const trimmed = text.trim();
  if (trimmed === "") return trimmed;
  const first = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
