// Sign in with an API key: checked with one authenticated read before it is kept (in
// session storage, never in the URL).

import { api, session } from "../api.js";
import { errorText, field, formErrorSlot, h, setFieldError } from "../ui.js";

export function renderSignIn(main, onSignedIn) {
  const key = field(
    "API key",
    h("input", {
      type: "password",
      name: "api_key",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
      placeholder: "sk_...",
    }),
    "Kept in this tab only (session storage); closing the tab signs you out.",
  );
  const formError = formErrorSlot();
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", {}, "Use an API key of your account (an operator creates one with ",
      h("code", {}, "python -m gateway.cli keys create"), ")."),
    key.wrap,
    formError.wrap,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    setFieldError(key, "");
    const value = key.input.value.trim();
    if (!value) {
      setFieldError(key, "Type your API key.");
      key.input.focus();
      return;
    }
    submit.disabled = true;
    session.key = value;
    try {
      await api("/avatars?page=1&limit=1");
      onSignedIn();
    } catch (error) {
      session.clear();
      setFieldError(
        error.status === 401 ? key : formError,
        errorText(error, error.status === 401),
      );
      key.input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(form);
  key.input.focus();
}
