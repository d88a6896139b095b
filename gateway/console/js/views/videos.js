// Videos: pick an avatar and pose, type a script (character counter and the estimated
// price as you type) or upload your own recording, tier, size, frame rate, motion hint; submit, watch progress,
// play the result in the page, download; cancel.

import { api, uploadFile } from "../api.js";
import { watch } from "../poller.js";
import {
  announce,
  clear,
  errorText,
  field,
  formErrorSlot,
  h,
  saveBlob,
  select,
  setFieldError,
  showApiError,
  usd,
  when,
} from "../ui.js";

const MAX_CHARS = 600;
const MAX_AUDIO_SECONDS = 35;
// The contract's rates ($ per second of audio). The hold the service computes at
// submit is authoritative; this is the console's preview of it.
const RATES = { avatar: 0.05, avatar_pro: 0.08 };
// Speech runs at about 15 characters a second (English: the service held 36 s for a
// 559-character script; its estimate is phoneme-based and per language); the hold is
// whole seconds, at least one.
const CHARS_PER_SECOND = 15;
const SETTLED = ["completed", "failed", "cancelled"];

export function estimate(text, tier) {
  const seconds = text.trim() ? Math.max(1, Math.ceil(text.trim().length / CHARS_PER_SECOND)) : 0;
  return { seconds, usd: seconds * RATES[tier] };
}

export async function renderVideos(main, params) {
  const avatars = (await api("/avatars?page=1&limit=100")).data.filter((a) => a.status === "ready");
  const list = h("ul", { class: "videos", "aria-label": "Your videos" });
  main.append(
    h("h1", {}, "Videos"),
    h("div", { class: "split" },
      createForm(avatars, params.get("avatar"), (job) => {
        list.querySelector(".empty")?.remove();
        list.prepend(videoCard(job));
      }),
      h("section", { "aria-labelledby": "videos-title" }, h("h2", { id: "videos-title" }, "Your videos"), list)),
  );
  const page = await api("/avatar-videos?page=1&limit=20");
  list.append(...page.data.map(videoCard));
  if (page.data.length === 0) list.append(h("li", { class: "empty" }, "No videos yet."));
}

function createForm(avatars, chosenAvatar, onCreated) {
  const fields = {
    avatar_id: field("Avatar", select(avatars.map((a) => [a.id, `${a.name}${a.is_system ? " (system)" : ""}`]), { name: "avatar_id", required: true })),
    pose_id: field("Pose", select([["", "Base portrait"]], { name: "pose_id" })),
    text: field("Script", h("textarea", { name: "text", rows: 5, maxlength: MAX_CHARS, required: true })),
    tier: field("Tier", select([["avatar", "avatar: $0.05 / s, fast"], ["avatar_pro", "avatar_pro: $0.08 / s, premium"]], { name: "tier" })),
    resolution: field("Size", select([["512", "512 px"], ["720", "720 px"], ["1080", "1080 px"], ["1536", "1536 px (avatar_pro)"]], { name: "resolution" })),
    fps: field("Frame rate", select([["24", "24 fps"], ["25", "25 fps"], ["30", "30 fps"]], { name: "fps" })),
    video_prompt: field("Motion hint (optional)", h("input", { name: "video_prompt", maxlength: 300 }), "e.g. \"relaxed posture, nods\""),
  };
  fields.resolution.input.value = "720";
  fields.fps.input.value = "25";
  if (chosenAvatar && avatars.some((a) => a.id === chosenAvatar)) fields.avatar_id.input.value = chosenAvatar;
  const formError = formErrorSlot();
  const counter = h("p", { class: "counter", id: "script-counter", "aria-live": "polite" });
  fields.text.input.setAttribute("aria-describedby", `${fields.text.input.getAttribute("aria-describedby")} script-counter`);
  fields.text.wrap.insertBefore(counter, fields.text.error);

  // Speech: a script spoken in the avatar's voice, or the user's own recording
  // (uploaded to /files as soon as it is chosen, so its length prices the video).
  let recording = null; // {id, seconds} once uploaded
  const recordingInput = h("input", { type: "file", name: "recording", accept: "audio/*,.wav,.mp3,.m4a,.ogg,.flac" });
  fields.audio_url = field(`Your recording (up to ${MAX_AUDIO_SECONDS} s)`, recordingInput);
  const recordingProgress = h("progress", { max: 1, value: 0, "aria-label": "Recording upload" });
  fields.audio_url.wrap.insertBefore(recordingProgress, fields.audio_url.error);
  const speechInputs = [["text", "Type a script"], ["audio", "Use my recording"]].map(([value, label]) =>
    h("label", { class: "choice" }, h("input", { type: "radio", name: "speech", value, checked: value === "text" }), label));
  const speech = h("fieldset", { class: "modes" }, h("legend", {}, "Speech"), speechInputs);
  const speechMode = () => speech.querySelector("input:checked").value;

  const update = () => {
    const audio = speechMode() === "audio";
    fields.text.wrap.hidden = audio;
    fields.audio_url.wrap.hidden = !audio;
    recordingProgress.hidden = !recordingInput.files.length;
    const rate = RATES[fields.tier.input.value];
    if (audio) {
      const seconds = recording ? Math.max(1, Math.ceil(recording.seconds)) : 0;
      counter.textContent = recording ? `Recording: ${recording.seconds.toFixed(1)} s · estimated ${usd(seconds * rate)}` : "";
      counter.classList.toggle("near", Boolean(recording) && recording.seconds > MAX_AUDIO_SECONDS);
      fields.audio_url.wrap.insertBefore(counter, fields.audio_url.error);
      return;
    }
    fields.text.wrap.insertBefore(counter, fields.text.error);
    const text = fields.text.input.value;
    const { seconds, usd: price } = estimate(text, fields.tier.input.value);
    counter.textContent = `${text.length} / ${MAX_CHARS} characters · about ${seconds} s · estimated ${usd(price)}`;
    counter.classList.toggle("near", text.length > MAX_CHARS * 0.9);
  };
  fields.text.input.addEventListener("input", update);
  fields.tier.input.addEventListener("change", update);
  speech.addEventListener("change", update);
  recordingInput.addEventListener("change", async () => {
    recording = null;
    setFieldError(fields.audio_url, "");
    update();
    const file = recordingInput.files[0];
    if (!file) return;
    try {
      const uploaded = await uploadFile(file, "audio", (fraction) => { recordingProgress.value = fraction; });
      recording = { id: uploaded.id, seconds: uploaded.duration_seconds || 0 };
    } catch (error) {
      setFieldError(fields.audio_url, errorText(error, true));
    }
    update();
  });
  update();

  const loadPoses = async () => {
    const avatarId = fields.avatar_id.input.value;
    const options = [["", "Base portrait"]];
    if (avatarId) {
      try {
        const poses = await api(`/avatars/${avatarId}/poses`);
        for (const pose of poses.data) if (!pose.is_base && pose.status === "ready") options.push([pose.id, pose.name]);
      } catch (error) {
        setFieldError(fields.pose_id, error.message);
      }
    }
    clear(fields.pose_id.input, ...options.map(([value, label]) => h("option", { value }, label)));
  };
  fields.avatar_id.input.addEventListener("change", loadPoses);
  loadPoses();

  const submit = h("button", { type: "submit", class: "primary" }, "Make the video");
  const form = h("form", { class: "card", "aria-labelledby": "new-video-title", novalidate: true },
    h("h2", { id: "new-video-title" }, "New video"),
    avatars.length ? null : h("p", {}, "No ready avatar yet: create one first."),
    fields.avatar_id.wrap, fields.pose_id.wrap, speech, fields.text.wrap, fields.audio_url.wrap,
    h("div", { class: "fields" }, fields.tier.wrap, fields.resolution.wrap, fields.fps.wrap),
    fields.video_prompt.wrap, formError.wrap, submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const f of Object.values(fields)) setFieldError(f, "");
    setFieldError(formError, "");
    if (speechMode() === "audio" && !recording) {
      setFieldError(fields.audio_url, recordingInput.files.length ? "The recording is still uploading, or was refused." : "Choose a recording first.");
      recordingInput.focus();
      return;
    }
    const body = {
      avatar_id: fields.avatar_id.input.value,
      ...(speechMode() === "audio" ? { audio_url: recording.id } : { text: fields.text.input.value }),
      tier: fields.tier.input.value,
      resolution: Number(fields.resolution.input.value),
      fps: Number(fields.fps.input.value),
    };
    if (fields.pose_id.input.value) body.pose_id = fields.pose_id.input.value;
    if (fields.video_prompt.input.value.trim()) body.video_prompt = fields.video_prompt.input.value.trim();
    submit.disabled = true;
    try {
      const created = await api("/avatar-videos", { method: "POST", body, idempotent: true });
      announce(`Video submitted: ${usd(created.estimated_cost_usd)} held until it is done.`);
      onCreated(await api(created.poll_url.replace(/^\/api\/v1/, "")));
    } catch (error) {
      showApiError(error, fields, formError, {
        INSUFFICIENT_BALANCE: speechMode() === "audio" ? "audio_url" : "text",
        POLICY_VIOLATION: "text",
        audio_data_url: "audio_url",
        audio: "audio_url",
        AVATAR_NOT_READY: "avatar_id",
        NOT_FOUND: "avatar_id",
      });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function statusText(video) {
  switch (video.status) {
    case "queued":
      return "Queued";
    case "processing":
      return `Rendering ${Math.round(video.progress * 100)} %`;
    case "completed":
      return `Done: ${video.actual_seconds} s, charged ${usd(video.actual_cost_usd)}`;
    case "failed":
      return `Failed: ${video.error || "unknown error"} (refunded)`;
    default:
      return "Cancelled (the hold was released)";
  }
}

function videoCard(video) {
  const card = h("li", { class: "card video", dataset: { id: video.id, status: video.status } });
  let stop = () => {};
  const fill = (current) => {
    card.dataset.status = current.status;
    const done = SETTLED.includes(current.status);
    const progress = h("progress", { max: 1, value: current.status === "completed" ? 1 : current.progress, "aria-label": `Progress of ${current.id}` });
    const actions = h("div", { class: "actions" });
    if (!done) {
      actions.append(h("button", { type: "button", class: "danger", onclick: () => cancel(current) }, "Cancel",
        h("span", { class: "visually-hidden" }, ` video ${current.id}`)));
    }
    let player = null;
    if (current.status === "completed" && current.video_url) {
      player = h("video", { src: current.video_url, controls: true, preload: "metadata", playsinline: true, "aria-label": `Video ${current.id}` });
      actions.append(h("button", { type: "button", onclick: () => download(current) }, "Download",
        h("span", { class: "visually-hidden" }, ` video ${current.id}`)));
    }
    clear(card,
      h("h3", {}, h("code", {}, current.id)),
      h("p", { class: "meta" }, `${current.tier} · ${current.resolution} px · ${current.fps} fps · ${when(current.created_at)}`),
      player,
      done ? null : progress,
      h("p", { class: "status", "aria-live": "polite" }, statusText(current)),
      actions);
  };
  const cancel = async (current) => {
    try {
      fill(await api(`/avatar-videos/${current.id}/cancel`, { method: "POST" }));
      stop();
      announce(`Cancelled ${current.id}.`);
    } catch (error) {
      announce(`Could not cancel: ${error.message}`);
    }
  };
  fill(video);
  if (!SETTLED.includes(video.status)) {
    stop = watch(`/avatar-videos/${video.id}`, {
      onUpdate: fill,
      isDone: (current) => SETTLED.includes(current.status),
    });
  }
  return card;
}

/** Fetch the file and save it under its id; where the object store refuses a
 * cross-origin read, open it in a new tab instead (the browser's own save). */
export async function download(video) {
  const name = `${video.id}.mp4`;
  try {
    const response = await fetch(video.video_url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    saveBlob(await response.blob(), name);
    announce(`Saved ${name}.`);
  } catch {
    window.open(video.video_url, "_blank", "noopener");
  }
}
