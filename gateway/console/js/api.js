// The public /api/v1 API, as the console calls it: the API key from session storage in
// an Authorization header (never in a URL), JSON in and out, errors as ApiError.

const KEY_NAME = "avatarmesh.apiKey";
const ADMIN_KEY_NAME = "avatarmesh.adminKey";

/** The API key of this tab (session storage: gone when the tab closes). */
export const session = {
  get key() {
    return sessionStorage.getItem(KEY_NAME);
  },
  set key(value) {
    sessionStorage.setItem(KEY_NAME, value);
  },
  get adminKey() {
    return sessionStorage.getItem(ADMIN_KEY_NAME);
  },
  set adminKey(value) {
    if (value) sessionStorage.setItem(ADMIN_KEY_NAME, value);
    else sessionStorage.removeItem(ADMIN_KEY_NAME);
  },
  clear() {
    sessionStorage.removeItem(KEY_NAME);
    sessionStorage.removeItem(ADMIN_KEY_NAME);
  },
};

/** An error answer: {"error": {"code", "message"}} with its HTTP status. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** The request field the message names ("text: ..." or "body.text: ..."), if any. */
  get field() {
    const match = /^(?:body\.)?([a-z_]+)(?:[.[][^:\s]*)?:\s/.exec(this.message);
    return match ? match[1] : null;
  }
}

async function toError(response) {
  let code = "HTTP_" + response.status;
  let message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message, response.headers.get("retry-after"));
}

/** A random Idempotency-Key (works outside secure contexts too, unlike randomUUID). */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function authorization(admin) {
  const key = admin ? session.adminKey : session.key;
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/**
 * Call the API: `path` under /api/v1 (or an absolute /admin/v1 path with admin: true).
 * Answers the parsed JSON, a Blob for other content, null for 204; throws ApiError.
 * `idempotent: true` sends a fresh Idempotency-Key (POSTs that create and charge).
 */
export async function api(
  path,
  { method = "GET", body, headers = {}, admin = false, idempotent = false } = {},
) {
  const url = path.startsWith("/admin/") ? path : `/api/v1${path}`;
  const sent = { ...authorization(admin), ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  // Creations that charge carry a key, so the retry below is charged once.
  if (idempotent) sent["Idempotency-Key"] = idempotencyKey();
  const request = {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  };
  let response;
  for (let attempt = 1; !response; attempt += 1) {
    try {
      response = await fetch(url, request);
    } catch (exc) {
      // No answer: a creation is retried once with the same key (never charged twice).
      if (idempotent && attempt < 2) continue;
      throw new ApiError(0, "NETWORK_ERROR", `the gateway did not answer (${exc.message})`);
    }
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.blob();
}

/**
 * Upload a file to POST /api/v1/files (multipart) with progress: XMLHttpRequest, since
 * fetch reports no upload progress. `onProgress(fraction)` gets 0..1.
 */
export function uploadFile(file, kind, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file, file.name);
    form.append("kind", kind);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/files");
    xhr.setRequestHeader("Authorization", `Bearer ${session.key}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body);
        return;
      }
      const error = (body && body.error) || { code: "HTTP_" + xhr.status, message: "upload failed" };
      reject(new ApiError(xhr.status, error.code, error.message));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "NETWORK_ERROR", "the upload did not reach the gateway")),
    );
    xhr.send(form);
  });
}
