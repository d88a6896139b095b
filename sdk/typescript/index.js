// The avatarmesh JavaScript/TypeScript SDK: no dependencies beyond `fetch` (Node >= 18
// or a browser). Types: index.d.ts, with the API models generated from /openapi.json
// (types.d.ts, `python -m sdk.codegen`). This file is checked against them by
// `tsc --checkJs` (see package.json "check").
//
//   import { Client } from "@avatarmesh/sdk";
//   const client = new Client({ apiKey: "sk_...", baseUrl: "http://127.0.0.1:8080" });
//   const avatar = await client.avatar.create({ name: "Aria", description: "...",
//     language: "en", nationality: "American" });
//   const video = await client.avatar.waitForVideo({ avatar_id: avatar.id, text: "Hi!" });

/** @typedef {import("./types.js").AvatarCreated} AvatarCreated */
/** @typedef {import("./types.js").AvatarDetail} AvatarDetail */
/** @typedef {import("./types.js").AvatarOut} AvatarOut */
/** @typedef {import("./types.js").AvatarPage} AvatarPage */
/** @typedef {import("./types.js").PoseCreated} PoseCreated */
/** @typedef {import("./types.js").PoseList} PoseList */
/** @typedef {import("./types.js").CreatedVideo} CreatedVideo */
/** @typedef {import("./types.js").VideoOut} VideoOut */
/** @typedef {import("./types.js").VideoPage} VideoPage */
/** @typedef {import("./types.js").Balance} Balance */
/** @typedef {import("./types.js").LedgerPage} LedgerPage */
/** @typedef {import("./types.js").LedgerEntryOut} LedgerEntryOut */
/** @typedef {import("./types.js").SigningSecretOut} SigningSecretOut */
/** @typedef {import("./types.js").DeliveryAttempts} DeliveryAttempts */
/** @typedef {import("./types.js").CreatedApiKey} CreatedApiKey */
/** @typedef {import("./types.js").EndpointOut} EndpointOut */
/** @typedef {import("./types.js").FileOut} FileOut */
/** @typedef {import("./types.js").VoiceList} VoiceList */
/** @typedef {import("./types.js").FilePage} FilePage */
/** @typedef {import("./types.js").CreatedStudioVideo} CreatedStudioVideo */
/** @typedef {import("./types.js").StudioVideoOut} StudioVideoOut */
/** @typedef {import("./types.js").StudioVideoPage} StudioVideoPage */
/** @typedef {import("./types.js").StudioVideoBody} StudioVideoBody */
/** @typedef {import("./types.js").Endpoints} Endpoints */
/** @typedef {import("./types.js").TestEventOut} TestEventOut */
/** @typedef {import("./types.js").CreateEndpointBody["events"][number]} EndpointEvent */
/** @typedef {import("./types.js").ApiKeyList} ApiKeyList */
/** @typedef {import("./types.js").WalletOut} WalletOut */
/** @typedef {import("./types.js").CanaryOut} CanaryOut */
/** @typedef {import("./types.js").ReviewList} ReviewList */
/** @typedef {import("./types.js").ReviewOut} ReviewOut */
/** @typedef {import("./index.js").ClientOptions} ClientOptions */
/** @typedef {import("./index.js").CreateAvatarInput} CreateAvatarInput */
/** @typedef {import("./index.js").CreateVideoInput} CreateVideoInput */
/** @typedef {import("./index.js").FileInput} FileInput */

const DEFAULT_BASE_URL = "http://127.0.0.1:8080";
// Node only (file paths); a variable so browsers' bundlers leave it alone.
const NODE_FS = "node:fs/promises";
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const NOT_RETRIED = new Set(["DAILY_CAP_REACHED", "FEATURE_DISABLED"]);
// A retry that overtook the first request with the same Idempotency-Key: wait for it.
const IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS";
const AVATAR_DONE = new Set(["ready", "failed", "rejected"]);
const VIDEO_DONE = new Set(["completed", "failed", "cancelled"]);
const FAILED = new Set(["failed", "cancelled", "rejected"]);

/** An error answer of the API; `code` is the API's error code (NOT_FOUND, ...). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {number | null} retryAfter
   * @param {unknown} body
   */
  constructor(status, code, message, retryAfter, body) {
    super(`${status} ${code}: ${message}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

/** A waited-for avatar or video ended failed (or cancelled); `result` is its last state. */
export class JobFailedError extends Error {
  /** @param {string} message @param {unknown} result */
  constructor(message, result) {
    super(message);
    this.name = "JobFailedError";
    this.result = result;
  }
}

/** A wait gave up; `last` is the last state seen. */
export class WaitTimeoutError extends Error {
  /** @param {string} message @param {unknown} last */
  constructor(message, last) {
    super(message);
    this.name = "WaitTimeoutError";
    this.last = last;
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {Response} response @returns {number | null} seconds */
function retryAfter(response) {
  const value = response.headers.get("retry-after");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const when = Date.parse(value);
  return Number.isNaN(when) ? null : Math.max(0, (when - Date.now()) / 1000);
}

/** @param {Record<string, unknown>} values */
function dropUndefined(values) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

function newKey() {
  return `sdk-${globalThis.crypto.randomUUID()}`;
}

/** @param {Uint8Array} bytes */
function base64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const TYPES = /** @type {Record<string, string>} */ ({
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  mp4: "video/mp4",
  mov: "video/quicktime",
  webm: "video/webm",
  m4v: "video/x-m4v",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  flac: "audio/flac",
});

/**
 * A file as the API's upload form (a base64 data URL): a path (Node), bytes or a Blob.
 * @param {FileInput} file
 * @param {string} fallbackType
 * @returns {Promise<string>}
 */
export async function toDataUrl(file, fallbackType) {
  if (typeof file === "string") {
    if (file.startsWith("data:") || file.startsWith("https://")) return file;
    const { readFile } = await import(NODE_FS);
    const ext = file.split(".").pop()?.toLowerCase() ?? "";
    const bytes = new Uint8Array(await readFile(file));
    return `data:${TYPES[ext] ?? fallbackType};base64,${base64(bytes)}`;
  }
  if (file instanceof Uint8Array) return `data:${fallbackType};base64,${base64(file)}`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  return `data:${file.type || fallbackType};base64,${base64(bytes)}`;
}

export class Client {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    /** @type {Record<string, string | undefined>} */
    const env = /** @type {any} */ (globalThis).process?.env ?? {};
    this.apiKey = options.apiKey ?? env.AVATARMESH_API_KEY;
    this.adminKey = options.adminKey ?? env.AVATARMESH_ADMIN_KEY;
    this.baseUrl = (options.baseUrl ?? env.AVATARMESH_BASE_URL ?? DEFAULT_BASE_URL).replace(
      /\/+$/,
      "",
    );
    this.maxRetries = options.maxRetries ?? 4;
    this.backoffBase = options.backoffBase ?? 0.5;
    this.backoffMax = options.backoffMax ?? 30;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.avatar = new AvatarApi(this);
    this.videos = new VideosApi(this);
    this.tts = new TtsApi(this);
    this.studio = new StudioApi(this);
    this.files = new FilesApi(this);
    this.billing = new BillingApi(this);
    this.webhooks = new WebhooksApi(this);
    this.admin = new AdminApi(this);
  }

  /**
   * One API call with retries (429/502/503/504 and network errors; exponential backoff
   * with full jitter, or Retry-After when the server sends it). Every POST carries an
   * Idempotency-Key, the same on each retry.
   * @param {string} method
   * @param {string} path
   * @param {{ json?: unknown, query?: Record<string, unknown>, admin?: boolean,
   *   idempotencyKey?: string, raw?: boolean, form?: FormData }} [options]
   * @returns {Promise<Response>}
   */
  async request(method, path, options = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    /** @type {Record<string, string>} */
    const headers = { "User-Agent": "avatarmesh-js/0.1.0" };
    const key = options.admin ? this.adminKey : this.apiKey;
    if (key) headers.Authorization = `Bearer ${key}`;
    if (method === "POST") headers["Idempotency-Key"] = options.idempotencyKey ?? newKey();
    /** @type {string | FormData | undefined} */
    let body = options.form;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.maxRetries;
      let response;
      try {
        response = await this.fetch(url, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        if (last) throw error;
        await sleep(this.backoff(attempt, null));
        continue;
      }
      if (options.raw) return response;
      if (!last && (RETRY_STATUSES.has(response.status) || response.status === 409)) {
        const code = await errorCode(response.clone());
        const transient = response.status === 409 ? code === IN_PROGRESS : !NOT_RETRIED.has(code ?? "");
        if (transient) {
          await sleep(this.backoff(attempt, retryAfter(response)));
          continue;
        }
      }
      if (response.status >= 400) throw await toError(response);
      return response;
    }
  }

  /** @param {number} attempt @param {number | null} serverSeconds @returns {number} ms */
  backoff(attempt, serverSeconds) {
    if (serverSeconds !== null) return Math.min(serverSeconds, 120) * 1000;
    const ceiling = Math.min(this.backoffMax, this.backoffBase * 2 ** attempt);
    return Math.random() * ceiling * 1000;
  }

  /**
   * @template T
   * @param {string} method @param {string} path
   * @param {{ json?: unknown, query?: Record<string, unknown>, admin?: boolean,
   *   idempotencyKey?: string }} [options]
   * @returns {Promise<T>}
   */
  async json(method, path, options) {
    const response = await this.request(method, path, options);
    return /** @type {T} */ (await response.json());
  }

  /** @returns {Promise<Record<string, unknown>>} /healthz (200 or 503, with its body) */
  async health() {
    const response = await this.request("GET", "/healthz", { raw: true });
    return /** @type {Record<string, unknown>} */ (await response.json());
  }

  /** @returns {Promise<Record<string, unknown>>} /readyz (200 or 503, with its body) */
  async ready() {
    const response = await this.request("GET", "/readyz", { raw: true });
    return /** @type {Record<string, unknown>} */ (await response.json());
  }

  /**
   * Poll an avatar until ready (returned) or failed (JobFailedError).
   * @param {string} avatarId @param {import("./index.js").WaitOptions<AvatarDetail>} [options]
   * @returns {Promise<AvatarDetail>}
   */
  waitForAvatar(avatarId, options = {}) {
    return this.poll(() => this.avatar.get(avatarId), AVATAR_DONE, avatarId, options);
  }

  /**
   * Poll a video until completed (returned) or failed / cancelled (JobFailedError).
   * @param {string} videoId @param {import("./index.js").WaitOptions<VideoOut>} [options]
   * @returns {Promise<VideoOut>}
   */
  waitForVideoId(videoId, options = {}) {
    return this.poll(() => this.avatar.videoStatus(videoId), VIDEO_DONE, videoId, options);
  }

  /**
   * @template {{ status: string, error?: string | null }} T
   * @param {() => Promise<T>} get @param {Set<string>} done @param {string} id
   * @param {import("./index.js").WaitOptions<T>} options
   * @returns {Promise<T>}
   */
  async poll(get, done, id, options) {
    const timeoutMs = options.timeoutMs ?? 900_000;
    const everyMs = options.pollMs ?? 1000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await get();
      options.onProgress?.(current);
      if (done.has(current.status)) {
        if (FAILED.has(current.status)) {
          throw new JobFailedError(`${id} ${current.status}: ${current.error ?? ""}`, current);
        }
        return current;
      }
      if (Date.now() + everyMs > deadline) {
        throw new WaitTimeoutError(`${id} not finished after ${timeoutMs / 1000} s`, current);
      }
      await sleep(everyMs);
    }
  }
}

/** @param {Response} response @returns {Promise<string | null>} */
async function errorCode(response) {
  try {
    const body = await response.json();
    return typeof body?.error?.code === "string" ? body.error.code : null;
  } catch {
    return null;
  }
}

/** @param {Response} response @returns {Promise<ApiError>} */
async function toError(response) {
  const text = await response.text();
  /** @type {any} */
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const error = body && typeof body === "object" ? body.error : null;
  const code = error?.code ?? `HTTP_${response.status}`;
  const message = error?.message ?? String(text).slice(0, 500);
  return new ApiError(response.status, code, message, retryAfter(response), body);
}

/** The contract's surface: client.avatar.create / list / get / delete / createPose /
 * listPoses / generateVideo / videoStatus / waitForVideo. */
class AvatarApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /**
   * Create an avatar and poll until it is ready (pass `wait: false` to get the 202).
   * @param {CreateAvatarInput & { wait?: boolean } & import("./index.js").WaitOptions<AvatarDetail>} input
   * @returns {Promise<AvatarDetail>}
   */
  async create(input) {
    const created = await this.submit(input);
    if (input.wait === false) return /** @type {any} */ (created);
    return this.client.waitForAvatar(created.id, input);
  }

  /** @param {CreateAvatarInput} input @returns {Promise<AvatarCreated>} */
  async submit(input) {
    const video = input.video ? await toDataUrl(input.video, "video/mp4") : input.source_video_url;
    const photo = input.photo ? await toDataUrl(input.photo, "image/jpeg") : input.ref_image_data_url;
    const body = dropUndefined({
      name: input.name,
      description: input.description,
      language: input.language,
      nationality: input.nationality,
      gender: input.gender,
      accent: input.accent,
      source: video ? "video" : (input.source ?? "generated"),
      ref_image_data_url: photo,
      source_video_url: video,
    });
    return this.client.json("POST", "/api/v1/avatars", {
      json: body,
      idempotencyKey: input.idempotencyKey,
    });
  }

  /** @param {{ page?: number, limit?: number }} [query] @returns {Promise<AvatarPage>} */
  list(query = {}) {
    return this.client.json("GET", "/api/v1/avatars", { query });
  }

  /** Every avatar, page by page. @param {number} [limit] @returns {AsyncGenerator<AvatarOut>} */
  async *iterate(limit = 100) {
    for (let page = 1; ; page++) {
      const { data } = await this.list({ page, limit });
      yield* data;
      if (data.length < limit) return;
    }
  }

  /** @param {string} id @returns {Promise<AvatarDetail>} */
  get(id) {
    return this.client.json("GET", `/api/v1/avatars/${encodeURIComponent(id)}`);
  }

  /** @param {string} id @returns {Promise<void>} */
  async delete(id) {
    await this.client.request("DELETE", `/api/v1/avatars/${encodeURIComponent(id)}`);
  }

  /**
   * @param {string} avatarId @param {{ prompt: string, name?: string }} input
   * @returns {Promise<PoseCreated>}
   */
  createPose(avatarId, input) {
    return this.client.json("POST", `/api/v1/avatars/${encodeURIComponent(avatarId)}/poses`, {
      json: dropUndefined({ prompt: input.prompt, name: input.name }),
    });
  }

  /** @param {string} avatarId @returns {Promise<PoseList>} */
  listPoses(avatarId) {
    return this.client.json("GET", `/api/v1/avatars/${encodeURIComponent(avatarId)}/poses`);
  }

  /** Submit a video (202). @param {CreateVideoInput} input @returns {Promise<CreatedVideo>} */
  async generateVideo(input) {
    const { audio, idempotencyKey, ...rest } = input;
    const body = dropUndefined({
      ...rest,
      audio_data_url: audio ? await toDataUrl(audio, "audio/wav") : input.audio_data_url,
    });
    return this.client.json("POST", "/api/v1/avatar-videos", { json: body, idempotencyKey });
  }

  /**
   * @param {string} videoId @param {{ output_format?: "url" | "raw_key" }} [query]
   * @returns {Promise<VideoOut>}
   */
  videoStatus(videoId, query = {}) {
    return this.client.json("GET", `/api/v1/avatar-videos/${encodeURIComponent(videoId)}`, {
      query,
    });
  }

  /**
   * Submit a video and poll until it is completed.
   * @param {CreateVideoInput & import("./index.js").WaitOptions<VideoOut>} input @returns {Promise<VideoOut>}
   */
  async waitForVideo(input) {
    const { timeoutMs, pollMs, onProgress, ...fields } = input;
    const created = await this.generateVideo(fields);
    return this.client.waitForVideoId(created.id, { timeoutMs, pollMs, onProgress });
  }
}

class VideosApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /** @param {{ page?: number, limit?: number }} [query] @returns {Promise<VideoPage>} */
  list(query = {}) {
    return this.client.json("GET", "/api/v1/avatar-videos", { query });
  }

  /** @param {number} [limit] @returns {AsyncGenerator<VideoOut>} */
  async *iterate(limit = 100) {
    for (let page = 1; ; page++) {
      const reply = await this.list({ page, limit });
      yield* reply.data;
      if (reply.data.length === 0 || page * limit >= reply.total) return;
    }
  }

  /** @param {string} videoId @returns {Promise<VideoOut>} */
  cancel(videoId) {
    return this.client.json("POST", `/api/v1/avatar-videos/${encodeURIComponent(videoId)}/cancel`);
  }

  /**
   * The finished video's bytes; with `path` (Node) also written there.
   * @param {VideoOut | string} video @param {string} [path] @returns {Promise<Uint8Array>}
   */
  async download(video, path) {
    let current = typeof video === "string" ? await this.client.avatar.videoStatus(video) : video;
    if (!current.video_url || current.video_url.startsWith("avatar-videos/")) {
      current = await this.client.avatar.videoStatus(current.id, { output_format: "url" });
    }
    if (!current.video_url) throw new Error(`video ${current.id} is ${current.status}: no file yet`);
    const response = await this.client.fetch(current.video_url);
    if (!response.ok) throw await toError(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (path) {
      const { writeFile } = await import(NODE_FS);
      await writeFile(path, bytes);
    }
    return bytes;
  }
}

/** Uploaded media (/api/v1/files): upload once, use the file id wherever media goes. */
class FilesApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /**
   * Upload a file (a path in Node, bytes or a Blob) as multipart/form-data.
   * @param {FileInput} file
   * @param {{ kind?: "image" | "audio" | "video", expiresInSeconds?: number, filename?: string }} [options]
   * @returns {Promise<FileOut>}
   */
  async upload(file, options = {}) {
    let blob;
    let name = options.filename ?? "upload";
    if (typeof file === "string") {
      const { readFile } = await import(NODE_FS);
      name = options.filename ?? file.split(/[\\/]/).pop() ?? name;
      const ext = name.split(".").pop()?.toLowerCase() ?? "";
      blob = new Blob([await readFile(file)], { type: TYPES[ext] ?? "application/octet-stream" });
    } else {
      blob = file instanceof Uint8Array ? new Blob([new Uint8Array(file)]) : file;
    }
    const form = new FormData();
    form.set("file", blob, name);
    if (options.kind) form.set("kind", options.kind);
    if (options.expiresInSeconds) form.set("expires_in_seconds", String(options.expiresInSeconds));
    const response = await this.client.request("POST", "/api/v1/files", { form });
    return /** @type {FileOut} */ (await response.json());
  }

  /**
   * @param {{ kind?: "image" | "audio" | "video", include_archived?: boolean, page?: number,
   *   limit?: number }} [query]
   * @returns {Promise<FilePage>}
   */
  list(query = {}) {
    return this.client.json("GET", "/api/v1/files", { query });
  }

  /** @param {string} fileId @returns {Promise<FileOut>} */
  get(fileId) {
    return this.client.json("GET", `/api/v1/files/${encodeURIComponent(fileId)}`);
  }

  /** @param {string} fileId @returns {Promise<FileOut>} */
  archive(fileId) {
    return this.client.json("POST", `/api/v1/files/${encodeURIComponent(fileId)}/archive`);
  }

  /** @param {string} fileId @param {boolean} enabled @returns {Promise<FileOut>} */
  setPublicLink(fileId, enabled) {
    const path = `/api/v1/files/${encodeURIComponent(fileId)}/public-link`;
    return this.client.json("POST", path, { json: { enabled } });
  }

  /** Where a public link points now (its redirect), no key needed. @param {string} token */
  async publicTarget(token) {
    const url = `${this.client.baseUrl}/files/public/${encodeURIComponent(token)}`;
    const response = await this.client.fetch(url, { redirect: "manual" });
    return response.headers.get("location");
  }
}

/** Studio videos (/api/v1/videos): scenes, frame sizes, backgrounds, captions. */
class StudioApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /**
   * Submit: video_inputs (1-50 scenes), dimension, caption, title, tier, ... (docs/studio.md).
   * @param {StudioVideoBody} body @returns {Promise<CreatedStudioVideo>}
   */
  create(body) {
    return this.client.json("POST", "/api/v1/videos", { json: body });
  }

  /** @param {{ page?: number, limit?: number }} [query] @returns {Promise<StudioVideoPage>} */
  list(query = {}) {
    return this.client.json("GET", "/api/v1/videos", { query });
  }

  /** @param {number} [limit] @returns {AsyncGenerator<StudioVideoOut>} */
  async *iterate(limit = 100) {
    for (let page = 1; ; page++) {
      const reply = await this.list({ page, limit });
      yield* reply.data;
      if (reply.data.length === 0 || page * limit >= reply.total) return;
    }
  }

  /**
   * @param {string} videoId @param {{ output_format?: "url" | "raw_key" }} [query]
   * @returns {Promise<StudioVideoOut>}
   */
  get(videoId, query = {}) {
    return this.client.json("GET", `/api/v1/videos/${encodeURIComponent(videoId)}`, { query });
  }

  /** @param {string} videoId @returns {Promise<StudioVideoOut>} */
  cancel(videoId) {
    return this.client.json("POST", `/api/v1/videos/${encodeURIComponent(videoId)}/cancel`);
  }

  /**
   * Poll until completed (returned) or failed / cancelled (JobFailedError).
   * @param {string} videoId @param {import("./index.js").WaitOptions<StudioVideoOut>} [options]
   * @returns {Promise<StudioVideoOut>}
   */
  waitFor(videoId, options = {}) {
    return this.client.poll(() => this.get(videoId), VIDEO_DONE, videoId, options);
  }

  /**
   * The finished studio video's bytes (MP4); with `path` (Node) also written there.
   * @param {StudioVideoOut | string} video @param {string} [path] @returns {Promise<Uint8Array>}
   */
  async download(video, path) {
    let current = typeof video === "string" ? await this.get(video) : video;
    if (!current.video_url?.startsWith("http")) {
      current = await this.get(current.id, { output_format: "url" });
    }
    if (!current.video_url) throw new Error(`video ${current.id} is ${current.status}: no file yet`);
    const response = await this.client.fetch(current.video_url);
    if (!response.ok) throw await toError(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (path) {
      const { writeFile } = await import(NODE_FS);
      await writeFile(path, bytes);
    }
    return bytes;
  }
}

class TtsApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /** @param {{ language?: string }} [query] @returns {Promise<VoiceList>} */
  voices(query = {}) {
    return this.client.json("GET", "/api/v1/voices", { query });
  }

  /** The voice reading its sample sentence (WAV). @param {string} voiceId */
  async sample(voiceId) {
    const path = `/api/v1/voices/${encodeURIComponent(voiceId)}/sample`;
    const response = await this.client.request("GET", path);
    return new Uint8Array(await response.arrayBuffer());
  }

  /**
   * A WAV (16-bit mono) of `text` in an avatar's voice (its `tts_voice_id`).
   * @param {{ voice: string, text: string, speed?: number }} input
   * @returns {Promise<Uint8Array>}
   */
  async synthesize(input) {
    const response = await this.client.request("POST", "/api/v1/tts", {
      json: dropUndefined({ tts_voice_id: input.voice, text: input.text, speed: input.speed }),
    });
    return new Uint8Array(await response.arrayBuffer());
  }
}

class BillingApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /** @returns {Promise<Balance>} */
  balance() {
    return this.client.json("GET", "/api/v1/billing/balance");
  }

  /** @param {{ page?: number, limit?: number }} [query] @returns {Promise<LedgerPage>} */
  ledger(query = {}) {
    return this.client.json("GET", "/api/v1/billing/ledger", { query });
  }

  /** @param {number} [limit] @returns {AsyncGenerator<LedgerEntryOut>} */
  async *iterateLedger(limit = 100) {
    for (let page = 1; ; page++) {
      const reply = await this.ledger({ page, limit });
      yield* reply.data;
      if (reply.data.length === 0 || page * limit >= reply.total) return;
    }
  }
}

class WebhooksApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /** @returns {Promise<SigningSecretOut>} */
  secret() {
    return this.client.json("GET", "/api/v1/webhooks/secret");
  }

  /** @returns {Promise<SigningSecretOut>} */
  rotateSecret() {
    return this.client.json("POST", "/api/v1/webhooks/secret/rotate");
  }

  /** @param {{ video_id?: string, limit?: number }} [query] @returns {Promise<DeliveryAttempts>} */
  deliveries(query = {}) {
    return this.client.json("GET", "/api/v1/webhooks/deliveries", { query });
  }

  /**
   * A receiver for `events` (or ["*"]); keep `.secret`, shown only in this answer.
   * @param {{ url: string, events: EndpointEvent[], description?: string }} input
   * @returns {Promise<EndpointOut>}
   */
  createEndpoint(input) {
    return this.client.json("POST", "/api/v1/webhooks/endpoints", { json: dropUndefined(input) });
  }

  /** @returns {Promise<Endpoints>} */
  listEndpoints() {
    return this.client.json("GET", "/api/v1/webhooks/endpoints");
  }

  /** @param {string} endpointId @returns {Promise<EndpointOut>} */
  getEndpoint(endpointId) {
    return this.client.json("GET", `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}`);
  }

  /** @param {string} endpointId @returns {Promise<void>} */
  async deleteEndpoint(endpointId) {
    await this.client.request(
      "DELETE",
      `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}`,
    );
  }

  /**
   * @param {string} endpointId @param {{ overlap_seconds?: number }} [input]
   * @returns {Promise<EndpointOut>}
   */
  rotateEndpointSecret(endpointId, input = {}) {
    const path = `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}/rotate-secret`;
    return this.client.json("POST", path, { json: dropUndefined(input) });
  }

  /** @param {string} endpointId @returns {Promise<TestEventOut>} */
  sendTestEvent(endpointId) {
    const path = `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}/test`;
    return this.client.json("POST", path);
  }

  /**
   * @param {string} endpointId @param {{ limit?: number }} [query]
   * @returns {Promise<DeliveryAttempts>}
   */
  endpointDeliveries(endpointId, query = {}) {
    const path = `/api/v1/webhooks/endpoints/${encodeURIComponent(endpointId)}/deliveries`;
    return this.client.json("GET", path, { query });
  }
}

/** Operators' routes: the client needs `adminKey` (or AVATARMESH_ADMIN_KEY). */
class AdminApi {
  /** @param {Client} client */
  constructor(client) {
    this.client = client;
  }

  /** @param {string} ownerId @param {string} [name] @returns {Promise<CreatedApiKey>} */
  createApiKey(ownerId, name) {
    return this.client.json("POST", "/admin/v1/api-keys", {
      json: dropUndefined({ owner_id: ownerId, name }),
      admin: true,
    });
  }

  /** @param {string} [ownerId] @returns {Promise<ApiKeyList>} */
  listApiKeys(ownerId) {
    return this.client.json("GET", "/admin/v1/api-keys", {
      query: { owner_id: ownerId },
      admin: true,
    });
  }

  /** @param {string} keyId @returns {Promise<void>} */
  async revokeApiKey(keyId) {
    await this.client.request("DELETE", `/admin/v1/api-keys/${encodeURIComponent(keyId)}`, {
      admin: true,
    });
  }

  /**
   * @param {string} ownerId @param {number | string} amountUsd
   * @param {{ idempotencyKey?: string, note?: string }} [options]
   * @returns {Promise<WalletOut>}
   */
  topUp(ownerId, amountUsd, options = {}) {
    const key = options.idempotencyKey ?? newKey();
    return this.client.json("POST", `/admin/v1/wallets/${encodeURIComponent(ownerId)}/top-ups`, {
      json: dropUndefined({ amount_usd: amountUsd, idempotency_key: key, note: options.note }),
      admin: true,
      idempotencyKey: key,
    });
  }

  /** @param {string} ownerId @param {string} tier @returns {Promise<WalletOut>} */
  setTier(ownerId, tier) {
    return this.client.json("PUT", `/admin/v1/wallets/${encodeURIComponent(ownerId)}/tier`, {
      json: { tier },
      admin: true,
    });
  }

  /** @returns {Promise<CanaryOut>} */
  startCanary() {
    return this.client.json("POST", "/admin/v1/canary", { admin: true });
  }

  /** @param {string} canaryId @returns {Promise<CanaryOut>} */
  getCanary(canaryId) {
    return this.client.json("GET", `/admin/v1/canary/${encodeURIComponent(canaryId)}`, {
      admin: true,
    });
  }

  /** Avatars waiting for a consent review (docs/consent.md), oldest first.
   * @param {number} [limit] @returns {Promise<ReviewList>} */
  listReviews(limit) {
    return this.client.json("GET", "/admin/v1/reviews", { query: { limit }, admin: true });
  }

  /** @param {string} avatarId @returns {Promise<ReviewOut>} */
  approveAvatar(avatarId) {
    const path = `/admin/v1/avatars/${encodeURIComponent(avatarId)}/approve`;
    return this.client.json("POST", path, { admin: true });
  }

  /** @param {string} avatarId @param {string} reason shown to the owner @returns {Promise<ReviewOut>} */
  rejectAvatar(avatarId, reason) {
    const path = `/admin/v1/avatars/${encodeURIComponent(avatarId)}/reject`;
    return this.client.json("POST", path, { json: { reason }, admin: true });
  }
}

/**
 * Verify a webhook delivery (docs/webhooks.md): `Webhook-Signature` holds `v1=<hex
 * HMAC-SHA256(secret, "<timestamp>.<raw body>")>` entries; the timestamp must be within
 * `toleranceSeconds` of now. Uses WebCrypto (Node >= 18, browsers).
 * @param {{ secret: string, timestamp: string, body: string | Uint8Array, signature: string,
 *   toleranceSeconds?: number, now?: number }} input
 * @returns {Promise<boolean>}
 */
export async function verifyWebhook(input) {
  const age = Math.abs((input.now ?? Date.now() / 1000) - Number(input.timestamp));
  if (!Number.isFinite(age) || age > (input.toleranceSeconds ?? 300)) return false;
  const expected = await signWebhook(input.secret, input.timestamp, input.body);
  return input.signature.split(" ").some((entry) => constantTimeEqual(entry, expected));
}

/**
 * The `v1=` signature of a body (what the mesh sends).
 * @param {string} secret @param {string} timestamp @param {string | Uint8Array} body
 * @returns {Promise<string>}
 */
export async function signWebhook(secret, timestamp, body) {
  const encoder = new TextEncoder();
  const key = await globalThis.crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const raw = typeof body === "string" ? encoder.encode(body) : body;
  const message = new Uint8Array([...encoder.encode(`${timestamp}.`), ...raw]);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, message));
  return `v1=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** @param {string} a @param {string} b */
function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Every operation the SDK calls, as `METHOD path` (compared with the OpenAPI document). */
export const OPERATIONS = [
  "POST /api/v1/avatars",
  "GET /api/v1/avatars",
  "GET /api/v1/avatars/{avatar_id}",
  "DELETE /api/v1/avatars/{avatar_id}",
  "POST /api/v1/avatars/{avatar_id}/poses",
  "GET /api/v1/avatars/{avatar_id}/poses",
  "POST /api/v1/avatar-videos",
  "GET /api/v1/avatar-videos",
  "GET /api/v1/avatar-videos/{video_id}",
  "POST /api/v1/avatar-videos/{video_id}/cancel",
  "POST /api/v1/tts",
  "GET /api/v1/voices",
  "GET /api/v1/voices/{voice_id}/sample",
  "POST /api/v1/files",
  "GET /api/v1/files",
  "GET /api/v1/files/{file_id}",
  "POST /api/v1/files/{file_id}/archive",
  "POST /api/v1/files/{file_id}/public-link",
  "GET /files/public/{token}",
  "POST /api/v1/videos",
  "GET /api/v1/videos",
  "GET /api/v1/videos/{video_id}",
  "POST /api/v1/videos/{video_id}/cancel",
  "GET /api/v1/billing/balance",
  "GET /api/v1/billing/ledger",
  "GET /api/v1/webhooks/secret",
  "POST /api/v1/webhooks/secret/rotate",
  "GET /api/v1/webhooks/deliveries",
  "POST /api/v1/webhooks/endpoints",
  "GET /api/v1/webhooks/endpoints",
  "GET /api/v1/webhooks/endpoints/{endpoint_id}",
  "DELETE /api/v1/webhooks/endpoints/{endpoint_id}",
  "POST /api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret",
  "POST /api/v1/webhooks/endpoints/{endpoint_id}/test",
  "GET /api/v1/webhooks/endpoints/{endpoint_id}/deliveries",
  "POST /admin/v1/api-keys",
  "GET /admin/v1/api-keys",
  "DELETE /admin/v1/api-keys/{key_id}",
  "POST /admin/v1/wallets/{owner_id}/top-ups",
  "PUT /admin/v1/wallets/{owner_id}/tier",
  "POST /admin/v1/canary",
  "GET /admin/v1/canary/{canary_id}",
  "GET /admin/v1/reviews",
  "POST /admin/v1/avatars/{avatar_id}/approve",
  "POST /admin/v1/avatars/{avatar_id}/reject",
  "GET /healthz",
  "GET /readyz",
];

export default Client;
