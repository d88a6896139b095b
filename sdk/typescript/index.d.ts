// Declarations of index.js. The API models come from types.d.ts, generated from the
// gateway's /openapi.json (`python -m sdk.codegen`); `npm run check` (tsc) checks
// index.js against these and test/types-check.ts against both.
import type {
  ApiKeyList,
  AvatarCreated,
  AvatarDetail,
  AvatarOut,
  AvatarPage,
  Balance,
  CanaryOut,
  CreateAvatarBody,
  CreateEndpointBody,
  CreateVideoBody,
  CreatedApiKey,
  CreatedStudioVideo,
  CreatedVideo,
  DeliveryAttempts,
  EndpointOut,
  FileOut,
  FilePage,
  Endpoints,
  LedgerEntryOut,
  LedgerPage,
  PoseCreated,
  PoseList,
  ReviewList,
  ReviewOut,
  SigningSecretOut,
  StudioVideoOut,
  StudioVideoBody,
  StudioVideoPage,
  TestEventOut,
  VideoOut,
  VideoPage,
  VoiceList,
  WalletOut,
} from "./types.js";

export * from "./types.js";

export interface ClientOptions {
  /** API key (else AVATARMESH_API_KEY). */
  apiKey?: string;
  /** e.g. http://127.0.0.1:8080 (else AVATARMESH_BASE_URL). */
  baseUrl?: string;
  /** Operators' key for client.admin (else AVATARMESH_ADMIN_KEY). */
  adminKey?: string;
  /** Retries of 429/502/503/504 and network errors (default 4). */
  maxRetries?: number;
  /** Backoff: full jitter over min(backoffMax, backoffBase * 2^attempt) seconds. */
  backoffBase?: number;
  backoffMax?: number;
  /** Per request (default 60 s). */
  timeoutMs?: number;
  /** A fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
}

/** A file: a path (Node), bytes, a Blob, or an already-made data URL / https URL. */
export type FileInput = string | Uint8Array | Blob;

export type CreateAvatarInput = Partial<CreateAvatarBody> &
  Pick<CreateAvatarBody, "name" | "language" | "nationality"> & {
    /** Seed portrait (uploaded as ref_image_data_url). */
    photo?: FileInput;
    /** Talking-head clip (uploaded as source_video_url; source becomes "video"). */
    video?: FileInput;
    idempotencyKey?: string;
  };

export type CreateVideoInput = Partial<CreateVideoBody> &
  Pick<CreateVideoBody, "avatar_id"> & {
    /** Your own speech (uploaded as audio_data_url) instead of text. */
    audio?: FileInput;
    idempotencyKey?: string;
  };

export interface WaitOptions<T> {
  /** Give up after this long (default 900 s): WaitTimeoutError. */
  timeoutMs?: number;
  /** Between polls (default 1 s). */
  pollMs?: number;
  /** Sees every poll's state (status, stage, progress). */
  onProgress?: (current: T) => void;
}

export declare class ApiError extends Error {
  readonly status: number;
  /** The API's error code: NOT_FOUND, INSUFFICIENT_BALANCE, VALIDATION_ERROR, ... */
  readonly code: string;
  readonly retryAfter: number | null;
  readonly body: unknown;
  constructor(
    status: number,
    code: string,
    message: string,
    retryAfter: number | null,
    body: unknown,
  );
}

export declare class JobFailedError extends Error {
  readonly result: unknown;
  constructor(message: string, result: unknown);
}

export declare class WaitTimeoutError extends Error {
  readonly last: unknown;
  constructor(message: string, last: unknown);
}

declare class AvatarApi {
  /** Create and poll until ready (`wait: false`: the 202 answer, typed loosely). */
  create(
    input: CreateAvatarInput & { wait?: boolean } & WaitOptions<AvatarDetail>,
  ): Promise<AvatarDetail>;
  submit(input: CreateAvatarInput): Promise<AvatarCreated>;
  list(query?: { page?: number; limit?: number }): Promise<AvatarPage>;
  iterate(limit?: number): AsyncGenerator<AvatarOut>;
  get(id: string): Promise<AvatarDetail>;
  delete(id: string): Promise<void>;
  createPose(avatarId: string, input: { prompt: string; name?: string }): Promise<PoseCreated>;
  listPoses(avatarId: string): Promise<PoseList>;
  generateVideo(input: CreateVideoInput): Promise<CreatedVideo>;
  videoStatus(videoId: string, query?: { output_format?: "url" | "raw_key" }): Promise<VideoOut>;
  waitForVideo(input: CreateVideoInput & WaitOptions<VideoOut>): Promise<VideoOut>;
}

declare class VideosApi {
  list(query?: { page?: number; limit?: number }): Promise<VideoPage>;
  iterate(limit?: number): AsyncGenerator<VideoOut>;
  cancel(videoId: string): Promise<VideoOut>;
  download(video: VideoOut | string, path?: string): Promise<Uint8Array>;
}

declare class FilesApi {
  upload(
    file: FileInput,
    options?: { kind?: "image" | "audio" | "video"; expiresInSeconds?: number; filename?: string },
  ): Promise<FileOut>;
  list(query?: {
    kind?: "image" | "audio" | "video";
    include_archived?: boolean;
    page?: number;
    limit?: number;
  }): Promise<FilePage>;
  get(fileId: string): Promise<FileOut>;
  archive(fileId: string): Promise<FileOut>;
  setPublicLink(fileId: string, enabled: boolean): Promise<FileOut>;
  publicTarget(token: string): Promise<string | null>;
}

declare class StudioApi {
  /** video_inputs (1-50 scenes), dimension, caption, title, tier, ... (docs/studio.md). */
  create(body: StudioVideoBody): Promise<CreatedStudioVideo>;
  list(query?: { page?: number; limit?: number }): Promise<StudioVideoPage>;
  iterate(limit?: number): AsyncGenerator<StudioVideoOut>;
  get(videoId: string, query?: { output_format?: "url" | "raw_key" }): Promise<StudioVideoOut>;
  cancel(videoId: string): Promise<StudioVideoOut>;
  waitFor(videoId: string, options?: WaitOptions<StudioVideoOut>): Promise<StudioVideoOut>;
  /** The finished video's bytes (MP4); with `path` (Node) also written there. */
  download(video: StudioVideoOut | string, path?: string): Promise<Uint8Array>;
}

declare class TtsApi {
  voices(query?: { language?: string }): Promise<VoiceList>;
  sample(voiceId: string): Promise<Uint8Array>;
  synthesize(input: { voice: string; text: string; speed?: number }): Promise<Uint8Array>;
}

declare class BillingApi {
  balance(): Promise<Balance>;
  ledger(query?: { page?: number; limit?: number }): Promise<LedgerPage>;
  iterateLedger(limit?: number): AsyncGenerator<LedgerEntryOut>;
}

declare class WebhooksApi {
  secret(): Promise<SigningSecretOut>;
  rotateSecret(): Promise<SigningSecretOut>;
  deliveries(query?: { video_id?: string; limit?: number }): Promise<DeliveryAttempts>;
  /** A receiver for `events` (or ["*"]); keep `.secret`, shown only in this answer. */
  createEndpoint(input: CreateEndpointBody): Promise<EndpointOut>;
  listEndpoints(): Promise<Endpoints>;
  getEndpoint(endpointId: string): Promise<EndpointOut>;
  deleteEndpoint(endpointId: string): Promise<void>;
  rotateEndpointSecret(endpointId: string, input?: { overlap_seconds?: number }): Promise<EndpointOut>;
  sendTestEvent(endpointId: string): Promise<TestEventOut>;
  endpointDeliveries(endpointId: string, query?: { limit?: number }): Promise<DeliveryAttempts>;
}

declare class AdminApi {
  createApiKey(ownerId: string, name?: string): Promise<CreatedApiKey>;
  listApiKeys(ownerId?: string): Promise<ApiKeyList>;
  revokeApiKey(keyId: string): Promise<void>;
  topUp(
    ownerId: string,
    amountUsd: number | string,
    options?: { idempotencyKey?: string; note?: string },
  ): Promise<WalletOut>;
  setTier(ownerId: string, tier: string): Promise<WalletOut>;
  startCanary(): Promise<CanaryOut>;
  getCanary(canaryId: string): Promise<CanaryOut>;
  listReviews(limit?: number): Promise<ReviewList>;
  approveAvatar(avatarId: string): Promise<ReviewOut>;
  rejectAvatar(avatarId: string, reason: string): Promise<ReviewOut>;
}

export declare class Client {
  constructor(options?: ClientOptions);
  readonly apiKey: string | undefined;
  readonly adminKey: string | undefined;
  readonly baseUrl: string;
  readonly maxRetries: number;
  readonly avatar: AvatarApi;
  readonly videos: VideosApi;
  readonly tts: TtsApi;
  readonly studio: StudioApi;
  readonly files: FilesApi;
  readonly billing: BillingApi;
  readonly webhooks: WebhooksApi;
  readonly admin: AdminApi;
  request(
    method: string,
    path: string,
    options?: {
      json?: unknown;
      query?: Record<string, unknown>;
      admin?: boolean;
      idempotencyKey?: string;
      raw?: boolean;
      form?: FormData;
    },
  ): Promise<Response>;
  backoff(attempt: number, serverSeconds: number | null): number;
  health(): Promise<Record<string, unknown>>;
  ready(): Promise<Record<string, unknown>>;
  waitForAvatar(avatarId: string, options?: WaitOptions<AvatarDetail>): Promise<AvatarDetail>;
  waitForVideoId(videoId: string, options?: WaitOptions<VideoOut>): Promise<VideoOut>;
  poll<T extends { status: string; error?: string | null }>(
    get: () => Promise<T>,
    done: Set<string>,
    id: string,
    options: WaitOptions<T>,
  ): Promise<T>;
}

export declare function toDataUrl(file: FileInput, fallbackType: string): Promise<string>;
export declare function verifyWebhook(input: {
  secret: string;
  timestamp: string;
  body: string | Uint8Array;
  signature: string;
  toleranceSeconds?: number;
  now?: number;
}): Promise<boolean>;
export declare function signWebhook(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
): Promise<string>;
export declare const OPERATIONS: string[];
export default Client;
