// Avatars: the list (yours, then the system ones) with portraits; create one from a
// photo (drag and drop, uploaded with a progress bar), a description or a clip, with
// its creation stages live; poses (list, preview, create); delete with a confirmation.

import { api, uploadFile } from "../api.js";
import { stopAll, watch } from "../poller.js";
import {
  announce,
  clear,
  field,
  formErrorSlot,
  h,
  select,
  setFieldError,
  showApiError,
  usd,
} from "../ui.js";

export const LANGUAGES = [
  ["en", "English"],
  ["vi", "Vietnamese"],
  ["zh", "Chinese"],
  ["ja", "Japanese"],
  ["ko", "Korean"],
  ["es", "Spanish"],
  ["fr", "French"],
  ["de", "German"],
  ["pt", "Portuguese"],
  ["ar", "Arabic"],
];
const STAGES = ["portrait", "demo", "voice", "poses"];
const MODES = {
  photo: { label: "From a photo", accept: "image/jpeg,image/png,image/webp", kind: "image" },
  description: { label: "From a description" },
  clip: { label: "From a talking-head clip", accept: "video/mp4,video/quicktime,video/webm", kind: "video" },
};
const PHOTO_DESCRIPTION = "Presenter from a photo";

export async function renderAvatars(main) {
  const list = h("ul", { class: "grid", "aria-label": "Avatars" });
  const poses = h("section", { class: "card", id: "poses", hidden: true, "aria-label": "Poses" });
  main.append(
    h("h1", {}, "Avatars"),
    h("div", { class: "split list-wide" },
      createForm(() => load(list, poses)),
      h("section", { "aria-labelledby": "avatars-title" },
        h("h2", { id: "avatars-title" }, "Your avatars and the system ones"), list, poses)),
  );
  await load(list, poses);
}

async function load(list, poses) {
  stopAll(); // the cards are made anew, each watching its avatar again
  const page = await api("/avatars?page=1&limit=100");
  const avatars = [...page.data].sort((a, b) => Number(a.is_system) - Number(b.is_system));
  clear(list, ...avatars.map((avatar) => avatarCard(avatar, list, poses)));
  if (avatars.length === 0) list.append(h("li", {}, "No avatars yet."));
}

function stageText(avatar) {
  if (avatar.status === "ready") return "Ready";
  if (avatar.status === "failed") return `Failed: ${avatar.error || "unknown error"}`;
  if (!avatar.stage) return avatar.status === "pending" ? "Queued" : "Starting";
  return `Creating: ${avatar.stage} (${STAGES.indexOf(avatar.stage) + 1} of ${STAGES.length})`;
}

function stageList(avatar) {
  const current = STAGES.indexOf(avatar.stage);
  return h(
    "ol",
    { class: "stages", "aria-label": "Creation stages" },
    STAGES.map((stage, index) => {
      const state = avatar.status === "ready" || index < current ? "done" : index === current ? "current" : "todo";
      return h("li", { class: state, "aria-current": state === "current" ? "step" : null }, stage);
    }),
  );
}

function meta(avatar) {
  const language = LANGUAGES.find(([code]) => code === avatar.language)?.[1] || avatar.language;
  const nationality = avatar.nationality === language ? null : avatar.nationality;
  const footage = avatar.motion === "footage" ? "Moves with its clip" : null;
  return [language, nationality, footage, avatar.is_system ? "System" : null].filter(Boolean).join(" · ");
}

function portrait(avatar) {
  if (avatar.image_url) {
    return h("img", { src: avatar.image_url, alt: `Portrait of ${avatar.name}`, loading: "lazy" });
  }
  return h("div", { class: "placeholder", role: "img", "aria-label": `No portrait yet for ${avatar.name}` }, avatar.name.slice(0, 1));
}

function avatarCard(avatar, list, poses) {
  const card = h("li", { class: "card avatar", dataset: { id: avatar.id, status: avatar.status } });
  const fill = (current) => {
    card.dataset.status = current.status;
    const inProgress = current.status === "pending" || current.status === "processing";
    const actions = h("div", { class: "actions" });
    if (current.status === "ready") {
      actions.append(
        h("a", { class: "button", href: `#/videos?avatar=${current.id}` }, "Make a video",
          h("span", { class: "visually-hidden" }, ` with ${current.name}`)),
        h("button", { type: "button", onclick: () => showPoses(current, poses) }, "Poses",
          h("span", { class: "visually-hidden" }, ` of ${current.name}`)),
      );
    }
    if (!current.is_system && !inProgress) {
      actions.append(
        h("button", { type: "button", class: "danger", onclick: () => remove(current, list, poses) },
          "Delete", h("span", { class: "visually-hidden" }, ` ${current.name}`)),
      );
    }
    clear(
      card,
      portrait(current),
      h("h3", {}, current.name),
      h("p", { class: "meta" }, meta(current)),
      h("p", { class: "status", "aria-live": "polite" }, stageText(current)),
      inProgress ? stageList(current) : null,
      actions,
    );
  };
  fill(avatar);
  if (avatar.status === "pending" || avatar.status === "processing") {
    watch(`/avatars/${avatar.id}`, {
      onUpdate: fill,
      isDone: (current) => current.status === "ready" || current.status === "failed",
      onError: (error) => {
        card.querySelector(".status").textContent = `${stageText(avatar)} (not checked: ${error.message})`;
      },
    });
  }
  return card;
}

async function remove(avatar, list, poses) {
  const sure = window.confirm(
    `Delete the avatar "${avatar.name}" with its poses, videos and voice? This cannot be undone.`,
  );
  if (!sure) return;
  try {
    await api(`/avatars/${avatar.id}`, { method: "DELETE" });
    announce(`Deleted ${avatar.name}.`);
    poses.hidden = true;
    await load(list, poses);
  } catch (error) {
    announce(`Could not delete ${avatar.name}: ${error.message}`);
  }
}

function createForm(onCreated) {
  const fields = {
    name: field("Name", h("input", { name: "name", required: true, maxlength: 60 })),
    language: field("Language", select(LANGUAGES, { name: "language" })),
    nationality: field("Nationality", h("input", { name: "nationality", required: true, maxlength: 60, value: "American" })),
    gender: field("Gender (guides the voice)", select([["", "Not given"], ["female", "Female"], ["male", "Male"]], { name: "gender" })),
    accent: field("Accent (optional)", h("input", { name: "accent", maxlength: 40 })),
    description: field(
      "Description",
      h("textarea", { name: "description", rows: 3, maxlength: 2000 }),
      "The portrait and persona; optional for a photo or a clip.",
    ),
  };
  const formError = formErrorSlot();
  let mode = "photo";
  let chosen = null;

  const fileInput = h("input", { type: "file", name: "file", class: "visually-hidden", accept: MODES.photo.accept });
  const dropText = h("span", {}, "Drop a photo here or choose a file");
  const dropZone = h("div", { class: "dropzone" }, dropText);
  const fileField = field("Photo", fileInput);
  fileField.wrap.querySelector("label").append(dropZone);
  const progress = h("progress", { max: 1, value: 0, id: "upload-progress" });
  const progressWrap = h("div", { class: "progress", hidden: true },
    h("label", { for: "upload-progress" }, "Upload"), progress, h("span", { class: "percent" }, "0 %"));

  const pick = (file) => {
    chosen = file || null;
    setFieldError(fileField, "");
    dropText.textContent = chosen ? `${chosen.name} (${Math.ceil(chosen.size / 1024)} KB)` : "Drop a file here or choose one";
  };
  fileInput.addEventListener("change", () => pick(fileInput.files[0]));
  for (const name of ["dragenter", "dragover"]) {
    fileField.wrap.addEventListener(name, (event) => {
      event.preventDefault();
      dropZone.classList.add("over");
    });
  }
  fileField.wrap.addEventListener("dragleave", () => dropZone.classList.remove("over"));
  fileField.wrap.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("over");
    pick(event.dataTransfer.files[0]);
  });

  const modeInputs = Object.entries(MODES).map(([value, spec]) =>
    h("label", { class: "choice" },
      h("input", { type: "radio", name: "mode", value, checked: value === mode }), spec.label));
  const modes = h("fieldset", { class: "modes" }, h("legend", {}, "Create"), modeInputs);
  const setMode = (value) => {
    mode = value;
    const spec = MODES[value];
    fileField.wrap.hidden = !spec.accept;
    fileField.wrap.querySelector("label").firstChild.textContent = value === "clip" ? "Clip (MP4, MOV, WebM)" : "Photo (JPEG, PNG, WebP)";
    if (spec.accept) fileInput.accept = spec.accept;
    pick(null);
    fields.description.input.required = value === "description";
  };
  modes.addEventListener("change", (event) => setMode(event.target.value));

  const submit = h("button", { type: "submit", class: "primary" }, "Create avatar ($1.00)");
  const form = h(
    "form",
    { class: "card create", "aria-labelledby": "create-title", novalidate: true },
    h("h2", { id: "create-title" }, "New avatar"),
    modes,
    h("div", { class: "fields" }, fields.name.wrap, fields.language.wrap, fields.nationality.wrap, fields.gender.wrap, fields.accent.wrap),
    fileField.wrap,
    fields.description.wrap,
    progressWrap,
    formError.wrap,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await create();
    } finally {
      submit.disabled = false;
    }
  });

  const aliases = {
    ref_image_data_url: "file",
    source_video_url: "file",
    UNSUPPORTED_MEDIA_TYPE: "file",
    FILE_KIND_MISMATCH: "file",
    PAYLOAD_TOO_LARGE: "file",
  };
  const allFields = { ...fields, file: fileField };

  async function create() {
    for (const f of Object.values(allFields)) setFieldError(f, "");
    setFieldError(formError, "");
    const spec = MODES[mode];
    if (spec.accept && !chosen) {
      setFieldError(fileField, `Choose a ${spec.kind === "video" ? "clip" : "photo"} first.`);
      fileInput.focus();
      return;
    }
    const body = {
      name: fields.name.input.value.trim(),
      language: fields.language.input.value,
      nationality: fields.nationality.input.value.trim(),
    };
    if (fields.gender.input.value) body.gender = fields.gender.input.value;
    if (fields.accent.input.value.trim()) body.accent = fields.accent.input.value.trim();
    const description = fields.description.input.value.trim();
    if (description) body.description = description;
    try {
      if (spec.accept) {
        progressWrap.hidden = false;
        const file = await uploadFile(chosen, spec.kind, (fraction) => {
          progress.value = fraction;
          progressWrap.querySelector(".percent").textContent = `${Math.round(fraction * 100)} %`;
        });
        if (mode === "clip") {
          body.source = "video";
          body.source_video_url = file.id;
        } else {
          body.ref_image_data_url = file.id;
          body.description = body.description || PHOTO_DESCRIPTION;
        }
      }
      const created = await api("/avatars", { method: "POST", body, idempotent: true });
      announce(`Creating ${body.name}: ${usd(created.estimated_cost_usd)} charged, refunded if it fails.`);
      form.reset();
      setMode("photo");
      progressWrap.hidden = true;
      await onCreated();
    } catch (error) {
      showApiError(error, allFields, formError, aliases);
    }
  }
  setMode("photo");
  return form;
}

async function showPoses(avatar, section) {
  section.hidden = false;
  const gallery = h("ul", { class: "grid small", "aria-label": `Poses of ${avatar.name}` });
  const preview = h("figure", { class: "preview", hidden: true });
  const prompt = field("Pose prompt", h("textarea", { name: "prompt", rows: 2, maxlength: 600, required: true }),
    "An image-to-image variation of the portrait, e.g. \"side profile, arms crossed\" ($0.013).");
  const name = field("Pose name (optional)", h("input", { name: "name", maxlength: 60 }));
  const formError = formErrorSlot();
  const submit = h("button", { type: "submit" }, "Create pose ($0.013)");
  const form = h("form", { class: "pose-form", novalidate: true }, prompt.wrap, name.wrap, formError.wrap, submit);

  const load = async () => {
    const page = await api(`/avatars/${avatar.id}/poses`);
    clear(gallery, ...page.data.map((pose) =>
      h("li", { class: "card pose" },
        h("button", {
          type: "button", class: "thumb",
          onclick: () => {
            preview.hidden = false;
            clear(preview, h("img", { src: pose.image_url, alt: `${pose.name} pose of ${avatar.name}` }),
              h("figcaption", {}, pose.prompt ? `${pose.name}: ${pose.prompt}` : pose.name));
          },
        }, h("img", { src: pose.image_url, alt: "", loading: "lazy" }),
          h("span", {}, pose.name, pose.is_base ? " (base, free)" : "")))));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const body = { prompt: prompt.input.value.trim() };
      if (name.input.value.trim()) body.name = name.input.value.trim();
      await api(`/avatars/${avatar.id}/poses`, { method: "POST", body, idempotent: true });
      form.reset();
      setFieldError(prompt, "");
      setFieldError(formError, "");
      announce("Pose created.");
      await load();
    } catch (error) {
      showApiError(error, { prompt, name }, formError);
    } finally {
      submit.disabled = false;
    }
  });
  clear(section, h("h2", { tabindex: -1 }, `Poses of ${avatar.name}`), gallery, preview, form);
  // Focus first, then load: moving the focus later would take it from a field the
  // user has started typing in.
  section.querySelector("h2").focus();
  section.scrollIntoView({ block: "start" });
  await load();
}
