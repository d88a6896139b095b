// Compiled by `npm run check` (tsc --noEmit): typical use type-checks against the
// declarations, and the generated models say what the API answers. Never run.
import { ApiError, Client, verifyWebhook, type AvatarDetail, type VideoOut } from "../index.js";

export async function quickStart(): Promise<void> {
  const client = new Client({ apiKey: "sk_test", baseUrl: "http://127.0.0.1:8080" });
  const avatar: AvatarDetail = await client.avatar.create({
    name: "Aria",
    description: "Professional female presenter",
    language: "en",
    nationality: "American",
    gender: "female",
  });
  const status: "pending" | "processing" | "ready" | "failed" | "rejected" = avatar.status;
  const { data } = await client.avatar.list({ page: 1, limit: 20 });
  const firstName: string | undefined = data[0]?.name;
  const pose = await client.avatar.createPose(avatar.id, { prompt: "side profile" });
  const video: VideoOut = await client.avatar.waitForVideo({
    avatar_id: avatar.id,
    pose_id: pose.id,
    text: "Hello!",
    tier: "avatar_pro",
    onProgress: (v) => console.log(v.progress.toFixed(2)),
  });
  const url: string | null = video.video_url;
  const wav: Uint8Array = await client.tts.synthesize({ voice: avatar.tts_voice_id ?? "", text: "Hi" });
  try {
    await client.avatar.get("av_missing");
  } catch (error) {
    if (error instanceof ApiError && error.code === "NOT_FOUND") console.log(error.status);
  }
  const ok: boolean = await verifyWebhook({ secret: "whsec_x", timestamp: "1", body: "{}", signature: "v1=00" });
  console.log(status, firstName, url, wav.length, ok);
}

export async function studioVideo(client: Client): Promise<void> {
  const file = await client.files.upload("background.png", { kind: "image" });
  const created = await client.studio.create({
    dimension: { width: 1080, height: 1920 },
    video_inputs: [
      {
        character: { type: "avatar", avatar_id: "av_abcdefghijklmnopqrstuvwx", avatar_style: "circle" },
        voice: { type: "text", input_text: "Hello!", speed: 1.1 },
        background: { type: "image", image_asset_id: file.id, fit: "cover" },
      },
      { voice: { type: "silence", duration: 2 } },
    ],
  });
  const done = await client.studio.waitFor(created.id);
  const mp4: Uint8Array = await client.studio.download(done, "reel.mp4");
  // @ts-expect-error: a scene's voice is text, audio or silence
  await client.studio.create({ video_inputs: [{ voice: { type: "song" } }] });
  console.log(mp4.length);
}
