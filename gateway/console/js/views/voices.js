// Voices: every built-in voice and your avatars' cloned voices, each with a sample to
// listen to; any of them reads a text of yours aloud (/tts).

import { api } from "../api.js";
import { announce, clear, field, formErrorSlot, h, select, setFieldError, showApiError } from "../ui.js";
import { LANGUAGES } from "./avatars.js";

const player = () => document.getElementById("voice-player");

async function play(blob) {
  const audio = player();
  if (audio.src) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(blob);
  audio.hidden = false;
  try {
    await audio.play();
  } catch {
    // autoplay refused: the controls are there
  }
}

export async function renderVoices(main) {
  const voices = (await api("/voices")).data;
  const cloned = voices.filter((v) => v.kind === "cloned");
  const rows = voices.map((voice) =>
    h("tr", { dataset: { voice: voice.voice_id } },
      h("th", { scope: "row" }, voice.name),
      h("td", {}, voice.kind === "cloned" ? "cloned" : "built-in"),
      h("td", {}, voice.locale),
      h("td", {}, voice.gender),
      h("td", {}, voice.engine),
      h("td", {}, h("button", {
        type: "button",
        onclick: async (event) => {
          event.currentTarget.disabled = true;
          try {
            await play(await api(`/voices/${voice.voice_id}/sample`));
          } catch (error) {
            announce(`No sample: ${error.message}`);
          } finally {
            event.target.closest("button").disabled = false;
          }
        },
      }, "Listen", h("span", { class: "visually-hidden" }, ` to ${voice.name}`)))));
  const language = select([["", "All languages"], ...LANGUAGES], { id: "voice-language" });
  language.addEventListener("change", () => {
    for (const row of rows) {
      const voice = voices.find((v) => v.voice_id === row.dataset.voice);
      row.hidden = Boolean(language.value) && voice.language !== language.value;
    }
  });
  main.append(
    h("h1", {}, "Voices"),
    ttsForm(voices, cloned),
    h("audio", { id: "voice-player", controls: true, hidden: true, "aria-label": "Voice player" }),
    h("div", { class: "field inline" }, h("label", { for: "voice-language" }, "Language"), language),
    h("div", { class: "table-wrap" },
      h("table", {},
        h("caption", {}, `${voices.length} voices (${cloned.length} cloned from your avatars)`),
        h("thead", {}, h("tr", {}, ["Voice", "Kind", "Locale", "Gender", "Engine", "Sample"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows))),
  );
}

function ttsForm(voices, cloned) {
  const options = [...cloned, ...voices.filter((v) => v.kind !== "cloned")].map((v) =>
    [v.voice_id, `${v.name} (${v.kind === "cloned" ? "your avatar's voice" : v.locale})`]);
  const voice = field("Voice", select(options, { name: "voice_id" }));
  const text = field("Text to speak", h("textarea", { name: "text", rows: 2, maxlength: 600, required: true }));
  const formError = formErrorSlot();
  const submit = h("button", { type: "submit" }, "Speak");
  const form = h("form", { class: "card", "aria-labelledby": "tts-title", novalidate: true },
    h("h2", { id: "tts-title" }, "Hear a text"), voice.wrap, text.wrap, formError.wrap, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setFieldError(text, "");
    setFieldError(formError, "");
    submit.disabled = true;
    try {
      const wav = await api("/tts", { method: "POST", body: { text: text.input.value, voice_id: voice.input.value } });
      await play(wav);
    } catch (error) {
      showApiError(error, { text, voice_id: voice }, formError);
    } finally {
      submit.disabled = false;
    }
  });
  clear(voice.input, ...options.map(([value, label]) => h("option", { value }, label)));
  return form;
}
