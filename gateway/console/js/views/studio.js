// Studio: a video made of scenes (up to 50), each with a presenter (and pose), a script
// in its voice or another, and a background (a colour or an uploaded image), in any frame size, captions on or off;
// a layout preview of the first scene before submitting, the rendered first frame
// (thumbnail) once done, progress, play, download, cancel.

import { api, uploadFile } from "../api.js";
import { watch } from "../poller.js";
import {
  announce,
  clear,
  errorText,
  field,
  formErrorSlot,
  h,
  select,
  setFieldError,
  usd,
  when,
} from "../ui.js";
import { download } from "./videos.js";

const MAX_SCENES = 50;
const SIZES = [
  ["1280x720", "1280 × 720 (16:9, YouTube)"],
  ["720x1280", "720 × 1280 (9:16, Reels, TikTok)"],
  ["1080x1080", "1080 × 1080 (square)"],
  ["640x360", "640 × 360 (16:9, small)"],
];
const SETTLED = ["completed", "failed", "cancelled"];
// "video_inputs[2].voice.input_text: ..." -> scene 2's script.
const SCENE_FIELD = /^video_inputs\[(\d+)\]\.(character|voice|background)(?:\.(\w+))?/;

export async function renderStudio(main) {
  const [avatarPage, voicePage] = await Promise.all([api("/avatars?page=1&limit=100"), api("/voices")]);
  const avatars = avatarPage.data.filter((a) => a.status === "ready");
  const voices = voicePage.data;
  const list = h("ul", { class: "videos", "aria-label": "Your studio videos" });
  main.append(
    h("h1", {}, "Studio"),
    h("div", { class: "split" },
      studioForm(avatars, voices, (video) => {
        list.querySelector(".empty")?.remove();
        list.prepend(studioCard(video));
      }),
      h("section", { "aria-labelledby": "studio-list-title" },
        h("h2", { id: "studio-list-title" }, "Your studio videos"), list)),
  );
  const page = await api("/videos?page=1&limit=10");
  list.append(...page.data.map(studioCard));
  if (page.data.length === 0) list.append(h("li", { class: "empty" }, "No studio videos yet."));
}

function sceneEditor(avatars, voices, onChange) {
  const presenter = field("Presenter", select(avatars.map((a) => [a.id, a.name]), { name: "avatar_id" }));
  const pose = field("Pose", select([["", "Base portrait"]], { name: "pose_id" }));
  const voice = field("Voice", select([["", "The presenter's own voice"],
    ...voices.map((v) => [v.voice_id, `${v.name} (${v.kind === "cloned" ? "cloned" : v.locale})`])], { name: "voice_id" }));
  const loadPoses = async () => {
    const options = [["", "Base portrait"]];
    try {
      const poses = await api(`/avatars/${presenter.input.value}/poses`);
      for (const p of poses.data) if (!p.is_base && p.status === "ready") options.push([p.id, p.name]);
    } catch (error) {
      setFieldError(pose, error.message);
    }
    clear(pose.input, ...options.map(([value, label]) => h("option", { value }, label)));
  };
  presenter.input.addEventListener("change", loadPoses);
  if (avatars.length) loadPoses();
  const script = field("Script", h("textarea", { name: "input_text", rows: 3, maxlength: 5000, required: true }));
  const color = h("input", { type: "color", name: "color", value: "#f6f6fc" });
  const colorField = field("Background colour", color);
  const image = field("Background image (optional, replaces the colour)",
    h("input", { type: "file", name: "background_image", accept: "image/jpeg,image/png,image/webp" }));
  const legend = h("legend", {});
  const node = h("fieldset", { class: "card scene" }, legend,
    h("div", { class: "fields" }, presenter.wrap, pose.wrap, voice.wrap), script.wrap,
    h("div", { class: "fields" }, colorField.wrap, image.wrap));
  const scene = {
    node,
    legend,
    // Where an error about each part of the scene's request is shown.
    fields: {
      character: presenter,
      "character.pose_id": pose,
      voice: script,
      "voice.voice_id": voice,
      background: image,
    },
    pose: () => pose.input.value,
    voiceId: () => voice.input.value,
    avatar: () => avatars.find((a) => a.id === presenter.input.value) || null,
    color: () => color.value,
    imageFile: () => image.input.files[0] || null,
    clearErrors: () => [presenter, pose, voice, script, image, colorField].forEach((f) => setFieldError(f, "")),
  };
  for (const control of [presenter.input, color, image.input]) control.addEventListener("change", onChange);
  return scene;
}

function layoutPreview() {
  const frame = h("div", { class: "frame", role: "img" });
  const figure = h("figure", { class: "layout-preview" }, frame,
    h("figcaption", { class: "hint" }, "Layout of the first scene (approximate); the rendered first frame is shown once the video is done."));
  let imageUrl = null;
  const update = (scene, size) => {
    const [width, height] = size.split("x").map(Number);
    frame.dataset.shape = width > height ? "wide" : width < height ? "tall" : "square";
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = null;
    const file = scene && scene.imageFile();
    const avatar = scene && scene.avatar();
    const background = file
      ? h("img", { class: "background", src: (imageUrl = URL.createObjectURL(file)), alt: "" })
      : h("canvas", { class: "background", width: 4, height: 4 });
    if (!file && scene) {
      const context = background.getContext("2d");
      context.fillStyle = scene.color();
      context.fillRect(0, 0, 4, 4);
    }
    clear(frame, background, avatar && avatar.image_url ? h("img", { class: "presenter", src: avatar.image_url, alt: "" }) : null);
    frame.setAttribute("aria-label", `First scene at ${width} × ${height}: ${avatar ? avatar.name : "no presenter"} on ${file ? "an image" : `colour ${scene ? scene.color() : ""}`}`);
  };
  return { figure, update };
}

function studioForm(avatars, voices, onCreated) {
  const title = field("Title", h("input", { name: "title", maxlength: 255, value: "Studio video" }));
  const size = field("Frame size", select(SIZES, { name: "dimension" }));
  const tier = field("Tier", select([["avatar", "avatar: $0.05 / s"], ["avatar_pro", "avatar_pro: $0.08 / s"]], { name: "tier" }));
  const fps = field("Frame rate", select([["24", "24 fps"], ["25", "25 fps"], ["30", "30 fps"]], { name: "fps" }));
  fps.input.value = "25";
  const captions = h("label", { class: "choice" }, h("input", { type: "checkbox", name: "caption" }), "Burn captions in");
  const formError = formErrorSlot();
  const scenesList = h("ol", { class: "scenes", "aria-label": "Scenes" });
  const scenes = [];
  const preview = layoutPreview();
  const refresh = () => {
    scenes.forEach((scene, index) => {
      scene.legend.textContent = `Scene ${index + 1}`;
      scene.up.disabled = index === 0;
      scene.down.disabled = index === scenes.length - 1;
      scene.remove.disabled = scenes.length === 1;
    });
    clear(scenesList, ...scenes.map((scene) => h("li", {}, scene.node)));
    addButton.disabled = scenes.length >= MAX_SCENES;
    preview.update(scenes[0], size.input.value);
  };
  const move = (scene, by) => {
    const index = scenes.indexOf(scene);
    scenes.splice(index, 1);
    scenes.splice(index + by, 0, scene);
    refresh();
    scene.legend.closest("fieldset").querySelector("select").focus();
  };
  const addScene = () => {
    const scene = sceneEditor(avatars, voices, () => preview.update(scenes[0], size.input.value));
    scene.up = h("button", { type: "button", onclick: () => move(scene, -1) }, "Move up");
    scene.down = h("button", { type: "button", onclick: () => move(scene, 1) }, "Move down");
    scene.remove = h("button", { type: "button", class: "danger", onclick: () => {
      scenes.splice(scenes.indexOf(scene), 1);
      refresh();
    } }, "Remove scene");
    scene.node.append(h("div", { class: "actions" }, scene.up, scene.down, scene.remove));
    scenes.push(scene);
    refresh();
  };
  const addButton = h("button", { type: "button", class: "add-scene", onclick: () => {
    addScene();
    scenes.at(-1).fields.character.input.focus();
  } }, "Add scene");
  size.input.addEventListener("change", () => preview.update(scenes[0], size.input.value));
  addScene();

  const progress = h("progress", { max: 1, value: 0, id: "studio-upload" });
  const progressWrap = h("div", { class: "progress", hidden: true },
    h("label", { for: "studio-upload" }, "Uploading backgrounds"), progress);
  const submit = h("button", { type: "submit", class: "primary" }, "Make the studio video");
  const form = h("form", { class: "card", "aria-labelledby": "studio-title", novalidate: true },
    h("h2", { id: "studio-title" }, "New studio video"),
    title.wrap, h("div", { class: "fields" }, size.wrap, tier.wrap, fps.wrap), captions,
    preview.figure, scenesList, h("div", { class: "actions" }, addButton), progressWrap, formError.wrap, submit);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setFieldError(formError, "");
    scenes.forEach((scene) => scene.clearErrors());
    submit.disabled = true;
    try {
      const [width, height] = size.input.value.split("x").map(Number);
      const video_inputs = [];
      for (const [index, scene] of scenes.entries()) {
        video_inputs.push(await sceneBody(scene, index, progressWrap, progress));
      }
      const body = {
        title: title.input.value.trim() || "Studio video",
        dimension: { width, height },
        tier: tier.input.value,
        fps: Number(fps.input.value),
        caption: captions.querySelector("input").checked,
        video_inputs,
      };
      const created = await api("/videos", { method: "POST", body, idempotent: true });
      announce(`Studio video submitted: ${usd(created.estimated_cost_usd)} held until it is done.`);
      onCreated(await api(`/videos/${created.video_id}`));
    } catch (error) {
      showStudioError(error, scenes, formError);
    } finally {
      progressWrap.hidden = true;
      submit.disabled = false;
    }
  });
  return form;
}

async function sceneBody(scene, index, progressWrap, progress) {
  const body = {
    character: { type: "avatar", avatar_id: scene.fields.character.input.value },
    voice: { type: "text", input_text: scene.fields.voice.input.value },
  };
  if (scene.pose()) body.character.pose_id = scene.pose();
  if (scene.voiceId()) body.voice.voice_id = scene.voiceId();
  const file = scene.imageFile();
  if (file) {
    progressWrap.hidden = false;
    try {
      const uploaded = await uploadFile(file, "image", (fraction) => { progress.value = fraction; });
      body.background = { type: "image", url: uploaded.id, fit: "cover" };
    } catch (error) {
      error.sceneField = [index, "background"];
      throw error;
    }
  } else {
    body.background = { type: "color", value: scene.color() };
  }
  return body;
}

function showStudioError(error, scenes, formError) {
  const match = SCENE_FIELD.exec(error.message);
  const [index, part, detail] = error.sceneField || (match ? [Number(match[1]), match[2], match[3]] : [null]);
  const fields = index !== null && scenes[index] ? scenes[index].fields : null;
  const target = fields ? fields[`${part}.${detail}`] || fields[part] : formError;
  setFieldError(target, errorText(error, target !== formError));
  target.input?.focus();
}

function statusText(video) {
  switch (video.status) {
    case "queued":
      return "Queued";
    case "processing":
      return `Rendering ${Math.round(video.progress * 100)} %`;
    case "completed":
      return `Done: ${video.duration} s, charged ${usd(video.actual_cost_usd)}`;
    case "failed":
      return `Failed: ${video.error || "unknown error"} (refunded)`;
    default:
      return "Cancelled (the hold was released)";
  }
}

function studioCard(video) {
  const card = h("li", { class: "card video", dataset: { id: video.id, status: video.status } });
  let stop = () => {};
  const fill = (current) => {
    card.dataset.status = current.status;
    const done = SETTLED.includes(current.status);
    const actions = h("div", { class: "actions" });
    if (!done) {
      actions.append(h("button", { type: "button", class: "danger", onclick: () => cancel(current) }, "Cancel",
        h("span", { class: "visually-hidden" }, ` studio video ${current.title}`)));
    }
    let media = null;
    if (current.status === "completed" && current.video_url) {
      media = h("video", {
        src: current.video_url, poster: current.thumbnail_url, controls: true, preload: "none",
        playsinline: true, "aria-label": `Studio video ${current.title}`,
      });
      actions.append(h("button", { type: "button", onclick: () => download(current) }, "Download",
        h("span", { class: "visually-hidden" }, ` ${current.title}`)));
      if (current.caption_urls?.vtt) {
        actions.append(h("a", { class: "button", href: current.caption_urls.vtt, target: "_blank", rel: "noopener" }, "Captions (WebVTT)"));
      }
    }
    clear(card,
      h("h3", {}, current.title, " ", h("code", {}, current.id)),
      h("p", { class: "meta" }, `${current.dimension.width} × ${current.dimension.height} · ${current.scenes.length} scene${current.scenes.length === 1 ? "" : "s"} · ${current.caption ? "captions burned in" : "no burned captions"} · ${when(current.created_at)}`),
      media,
      done ? null : h("progress", { max: 1, value: current.progress, "aria-label": `Progress of ${current.title}` }),
      h("p", { class: "status", "aria-live": "polite" }, statusText(current)),
      actions);
  };
  const cancel = async (current) => {
    try {
      fill(await api(`/videos/${current.id}/cancel`, { method: "POST" }));
      stop();
    } catch (error) {
      announce(`Could not cancel: ${error.message}`);
    }
  };
  fill(video);
  if (!SETTLED.includes(video.status)) {
    stop = watch(`/videos/${video.id}`, { onUpdate: fill, isDone: (current) => SETTLED.includes(current.status) });
  }
  return card;
}
