// node --test: the SDK against a running mesh (AVATARMESH_BASE_URL, AVATARMESH_API_KEY
// of a funded owner, AVATARMESH_ADMIN_KEY; tests/e2e/test_sdk_typescript.py sets them
// for the e2e mesh), plus the retry policy against a local HTTP server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { ApiError, Client, OPERATIONS, signWebhook, verifyWebhook } from "../index.js";

const live = Boolean(process.env.AVATARMESH_BASE_URL && process.env.AVATARMESH_API_KEY);
const needsMesh = { skip: live ? false : "no mesh: set AVATARMESH_BASE_URL and AVATARMESH_API_KEY" };

test("quick start: avatar, pose, video to a file, TTS", needsMesh, async () => {
  const client = new Client();
  const seen = [];
  const avatar = await client.avatar.create({
    name: "Aria",
    description: "Professional female presenter, confident and warm",
    language: "en",
    nationality: "American",
    gender: "female",
    pollMs: 300,
    onProgress: (a) => seen.push(a.status),
  });
  assert.equal(avatar.status, "ready");
  assert.match(avatar.tts_voice_id ?? "", /^voice_/);
  assert.ok(seen.length >= 1);

  const pose = await client.avatar.createPose(avatar.id, { prompt: "side profile, arms crossed" });
  assert.equal(pose.status, "ready");
  const poses = await client.avatar.listPoses(avatar.id);
  assert.deepEqual(
    poses.data.map((p) => p.is_base),
    [true, false],
  );

  const progress = [];
  const video = await client.avatar.waitForVideo({
    avatar_id: avatar.id,
    pose_id: pose.id,
    text: "Hello! Welcome to the demo.",
    tier: "avatar",
    resolution: 512,
    pollMs: 300,
    onProgress: (v) => progress.push(v.progress),
  });
  assert.equal(video.status, "completed");
  assert.ok(progress.at(-1) === 1);
  const path = join(await mkdtemp(join(tmpdir(), "avatarmesh-js-")), "video.mp4");
  const bytes = await client.videos.download(video, path);
  const saved = await readFile(path);
  assert.equal(saved.length, bytes.length);
  assert.equal(saved.subarray(4, 8).toString("latin1"), "ftyp"); // an MP4

  const wav = await client.tts.synthesize({ voice: avatar.tts_voice_id ?? "", text: "Hello there." });
  assert.equal(Buffer.from(wav.subarray(0, 4)).toString("latin1"), "RIFF");

  const status = await client.avatar.videoStatus(video.id);
  assert.equal(status.id, video.id);
  const listed = [];
  for await (const v of client.videos.iterate(1)) listed.push(v.id);
  assert.ok(listed.includes(video.id));
});

test("errors carry the API's code", needsMesh, async () => {
  const client = new Client();
  await assert.rejects(client.avatar.get("av_aaaaaaaaaaaaaaaaaaaaaaaa"), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "NOT_FOUND");
    return true;
  });
  await assert.rejects(
    client.avatar.generateVideo({ avatar_id: "av_aaaaaaaaaaaaaaaaaaaaaaaa", text: "" }),
    (error) => error instanceof ApiError && error.code === "VALIDATION_ERROR",
  );
  const anonymous = new Client({ apiKey: "sk_wrong" });
  await assert.rejects(anonymous.billing.balance(), (error) => error.code === "UNAUTHORIZED");
});

test("the SDK calls every operation of /openapi.json", needsMesh, async () => {
  const client = new Client();
  const response = await client.request("GET", "/openapi.json");
  const doc = await response.json();
  const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
  assert.deepEqual([...OPERATIONS].sort(), documented.sort());
});

test("billing, webhook secret, signatures and endpoints, pagination", needsMesh, async () => {
  const client = new Client();
  const balance = await client.billing.balance();
  assert.equal(balance.currency, "USD");
  const { secret } = await client.webhooks.secret();
  const body = JSON.stringify({ event: "video.completed" });
  const now = Math.floor(Date.now() / 1000);
  const signature = await signWebhook(secret, String(now), body);
  assert.ok(await verifyWebhook({ secret, timestamp: String(now), body, signature }));
  assert.ok(!(await verifyWebhook({ secret, timestamp: String(now), body: `${body} `, signature })));
  assert.ok(!(await verifyWebhook({ secret, timestamp: String(now - 3600), body, signature })));
  const endpoint = await client.webhooks.createEndpoint({
    url: "http://127.0.0.1:9/js-sdk-test",
    events: ["video.completed"],
  });
  assert.match(endpoint.secret ?? "", /^whsec_/);
  const sent = await client.webhooks.sendTestEvent(endpoint.id);
  assert.equal(sent.event, "webhook.test");
  await client.webhooks.deleteEndpoint(endpoint.id);
  await assert.rejects(client.webhooks.getEndpoint(endpoint.id), (e) => e.code === "NOT_FOUND");
  let count = 0;
  for await (const avatar of client.avatar.iterate(2)) count += avatar.id ? 1 : 0;
  assert.ok(count >= 6); // the six system avatars at least, across pages of 2
});

/** A WAV of `seconds` of a 180 Hz tone (16 kHz, 16-bit mono). */
function toneWav(seconds) {
  const rate = 16000;
  const samples = Math.round(seconds * rate);
  const view = new DataView(new ArrayBuffer(44 + samples * 2));
  const text = (at, value) => [...value].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  text(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) {
    view.setInt16(44 + i * 2, Math.round(9000 * Math.sin((2 * Math.PI * 180 * i) / rate)), true);
  }
  return new Uint8Array(view.buffer);
}

test("files and studio: upload, a one-scene video to a file, archive", needsMesh, async () => {
  const client = new Client();
  const file = await client.files.upload(toneWav(1.0), { filename: "tone.wav" });
  assert.equal(file.kind, "audio");
  /** @type {import("../types.js").StudioVideoBody} */
  const body = {
    dimension: { width: 320, height: 180 },
    video_inputs: [
      {
        voice: { type: "audio", audio_asset_id: file.id },
        background: { type: "color", value: "#204060" },
      },
    ],
  };
  const created = await client.studio.create(body);
  const video = await client.studio.waitFor(created.id, { timeoutMs: 180_000 });
  const dir = await mkdtemp(join(tmpdir(), "studio-"));
  const bytes = await client.studio.download(video, join(dir, "studio.mp4"));
  assert.equal(new TextDecoder().decode(bytes.slice(4, 8)), "ftyp");
  assert.deepEqual(await readFile(join(dir, "studio.mp4")), Buffer.from(bytes));
  const listed = await client.studio.list({ limit: 100 });
  assert.ok(listed.data.some((v) => v.id === video.id));
  assert.equal((await client.files.archive(file.id)).status, "archived");
  await assert.rejects(client.studio.create(body), (e) => e.code === "FILE_ARCHIVED");
});

test("retries 503 then honours Retry-After on 429, with one Idempotency-Key", async () => {
  const answers = [
    [503, {}, { error: { code: "SERVICE_UNAVAILABLE", message: "down" } }],
    [429, { "Retry-After": "0" }, { error: { code: "RATE_LIMITED", message: "slow" } }],
    [202, {}, { id: "vg_x", status: "queued" }],
  ];
  const keys = [];
  const server = createServer((req, res) => {
    keys.push(req.headers["idempotency-key"]);
    const [status, headers, body] = answers.shift();
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address();
    const client = new Client({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}`, backoffBase: 0.01 });
    const created = await client.avatar.generateVideo({ avatar_id: "av_x", text: "hi" });
    assert.equal(created.id, "vg_x");
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys).size, 1);
    assert.match(keys[0], /^sdk-/);
  } finally {
    server.close();
  }
});

test("DAILY_CAP_REACHED is not retried (it resets at midnight)", async () => {
  let calls = 0;
  const server = createServer((_req, res) => {
    calls += 1;
    res.writeHead(429, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ error: { code: "DAILY_CAP_REACHED", message: "cap" } }));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address();
    const client = new Client({ apiKey: "k", baseUrl: `http://127.0.0.1:${port}` });
    await assert.rejects(
      client.avatar.createPose("av_x", { prompt: "p" }),
      (error) => error.code === "DAILY_CAP_REACHED",
    );
    assert.equal(calls, 1);
  } finally {
    server.close();
  }
});
