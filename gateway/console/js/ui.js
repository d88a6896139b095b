// DOM helpers: elements built from data (never HTML strings: API text cannot inject
// markup), money and time formats, errors shown next to the field they concern.

/** h("p", {class: "x", onclick: fn}, "text", child...): an element. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
/** A unique id for label/for and aria-describedby pairs. */
export function newId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/**
 * A labelled control with a hint and an error slot: {wrap, input, error}. The error
 * slot is tied to the control (aria-describedby) and announced when it changes.
 */
export function field(label, control, hint) {
  const id = control.id || newId("f");
  control.id = id;
  const errorId = `${id}-error`;
  const hintNode = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const error = h("p", { class: "field-error", id: errorId, role: "alert", hidden: true });
  control.setAttribute(
    "aria-describedby",
    [hintNode ? hintNode.id : null, errorId].filter(Boolean).join(" "),
  );
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode, error);
  return { wrap, input: control, error };
}

/** Show `message` in a field's error slot (empty: clear it). */
export function setFieldError(f, message) {
  f.error.textContent = message || "";
  f.error.hidden = !message;
  if (!f.input) return;
  if (message) f.input.setAttribute("aria-invalid", "true");
  else f.input.removeAttribute("aria-invalid");
}

/**
 * Put an ApiError next to the field it names (fields: {name: field}); anything else
 * goes to the form's own error slot. Focuses the field, so keyboard users land there.
 */
export function showApiError(error, fields, formError, aliases = {}) {
  for (const f of Object.values(fields)) setFieldError(f, "");
  setFieldError(formError, "");
  const name = aliases[error.code] || aliases[error.field] || error.field;
  const target = (name && fields[name]) || formError;
  setFieldError(target, errorText(error, target !== formError));
  if (target.input && target.input.focus) target.input.focus();
}

/**
 * The message of an ApiError for people: under its field the field's path is left
 * out ("text: String should..." -> "String should..."); the code is kept for support.
 */
export function errorText(error, underItsField) {
  const message = underItsField ? error.message.replace(/^[\w.[\]]+:\s+/, "") : error.message;
  return `${message.charAt(0).toUpperCase()}${message.slice(1)} (${error.code})`;
}

/** A form-level error slot that looks like a field's. */
export function formErrorSlot() {
  const error = h("p", { class: "field-error form-error", role: "alert", hidden: true });
  return { wrap: error, input: null, error };
}

/** Announce a short message to everyone (screen readers via the live region). */
export function announce(message) {
  const region = document.getElementById("status");
  region.textContent = message;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => {
    region.textContent = "";
  }, 6000);
}

export function usd(value) {
  if (value === null || value === undefined) return "—";
  const digits = Math.abs(value) < 1 && value !== 0 ? 3 : 2;
  return `${value < 0 ? "-" : ""}$${Math.abs(Number(value)).toFixed(digits)}`;
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function clear(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** <select> of [value, label] pairs. */
export function select(options, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map(([value, label]) => h("option", { value }, label)),
  );
}

/** Save a Blob as a file through a temporary object URL. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
