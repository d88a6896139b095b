// Account: balance and ledger; the webhook signing secret and endpoints; and, for an
// operator who also holds the admin key, the API keys (the public /admin/v1 API).

import { api, session } from "../api.js";
import {
  announce,
  clear,
  errorText,
  field,
  formErrorSlot,
  h,
  setFieldError,
  showApiError,
  usd,
  when,
} from "../ui.js";

const LEDGER_PAGE = 20;
const KIND_TEXT = {
  top_up: "Top-up",
  hold: "Hold",
  capture: "Charge",
  release: "Hold released",
  refund: "Refund",
  expiry: "Hold expired",
};

export async function renderAccount(main) {
  const balance = h("section", { class: "card", "aria-labelledby": "balance-title" });
  const ledger = h("section", { class: "card", "aria-labelledby": "ledger-title" });
  const webhooks = h("section", { class: "card", "aria-labelledby": "webhooks-title" });
  const keys = h("section", { class: "card", "aria-labelledby": "keys-title" });
  main.append(h("h1", {}, "Account"), h("div", { class: "split" }, h("div", {}, balance, webhooks), ledger), keys);
  await Promise.all([showBalance(balance), showLedger(ledger, 1), showWebhooks(webhooks)]);
  showKeys(keys);
}

async function showBalance(section) {
  const title = h("h2", { id: "balance-title" }, "Balance");
  try {
    const b = await api("/billing/balance");
    clear(section, title, h("dl", { class: "balance" },
      h("dt", {}, "Balance"), h("dd", { id: "balance-usd" }, usd(b.balance_usd)),
      h("dt", {}, "Held for jobs in progress"), h("dd", {}, usd(b.held_usd)),
      h("dt", {}, "Available"), h("dd", {}, usd(b.available_usd)),
      h("dt", {}, "Plan tier"), h("dd", {}, b.tier)));
  } catch (error) {
    const text = error.code === "WALLET_NOT_FOUND" ? "No wallet yet: ask an operator for a top-up." : error.message;
    clear(section, title, h("p", {}, text));
  }
}

async function showLedger(section, page) {
  const body = await api(`/billing/ledger?page=${page}&limit=${LEDGER_PAGE}`);
  const last = Math.max(1, Math.ceil(body.total / LEDGER_PAGE));
  const pager = h("nav", { class: "pager", "aria-label": "Ledger pages" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => showLedger(section, page - 1) }, "Newer"),
    h("span", {}, `Page ${page} of ${last}`),
    h("button", { type: "button", disabled: page >= last, onclick: () => showLedger(section, page + 1) }, "Older"));
  const rows = body.data.map((entry) =>
    h("tr", { dataset: { kind: entry.kind } },
      h("td", { class: "when" }, when(entry.created_at)),
      h("td", {}, KIND_TEXT[entry.kind] || entry.kind),
      h("td", { class: "num" }, entry.balance_delta_usd ? usd(entry.balance_delta_usd) : ""),
      h("td", { class: "num" }, entry.held_delta_usd ? usd(entry.held_delta_usd) : ""),
      h("td", {}, h("code", {}, entry.reference || ""))));
  clear(section, h("h2", { id: "ledger-title" }, "Ledger"),
    h("div", { class: "table-wrap" }, h("table", { id: "ledger" },
      h("caption", { class: "visually-hidden" }, "Ledger entries, newest first"),
      h("thead", {}, h("tr", {}, ["When", "What", "Balance", "Held", "Reference"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: 5 }, "No entries yet."))))),
    pager);
}

async function showWebhooks(section) {
  const secretOut = h("code", { class: "secret" }, "••••••••");
  let secret = null;
  const reveal = h("button", { type: "button", "aria-pressed": "false" }, "Show secret");
  reveal.addEventListener("click", async () => {
    try {
      secret = secret || (await api("/webhooks/secret")).secret;
      const shown = reveal.getAttribute("aria-pressed") !== "true";
      reveal.setAttribute("aria-pressed", String(shown));
      secretOut.textContent = shown ? secret : "••••••••";
    } catch (error) {
      announce(error.message);
    }
  });
  const rotate = h("button", { type: "button", onclick: async () => {
    if (!window.confirm("Replace the signing secret? The old one keeps signing for 24 hours.")) return;
    try {
      secret = (await api("/webhooks/secret/rotate", { method: "POST" })).secret;
      secretOut.textContent = secret;
      reveal.setAttribute("aria-pressed", "true");
      announce("Signing secret rotated.");
    } catch (error) {
      announce(error.message);
    }
  } }, "Rotate");
  const endpoints = h("ul", { class: "plain", "aria-label": "Webhook endpoints" });
  clear(section, h("h2", { id: "webhooks-title" }, "Webhooks"),
    h("p", {}, "Signing secret: ", secretOut), h("div", { class: "actions" }, reveal, rotate),
    h("h3", {}, "Endpoints"), endpoints, endpointForm(() => listEndpoints(endpoints)));
  await listEndpoints(endpoints);
}

async function listEndpoints(list) {
  const body = await api("/webhooks/endpoints");
  clear(list, ...body.data.map((endpoint) =>
    h("li", {}, h("code", {}, endpoint.url), ` ${endpoint.events.join(", ")} `,
      h("button", { type: "button", onclick: async () => {
        try {
          await api(`/webhooks/endpoints/${endpoint.id}/test`, { method: "POST" });
          announce(`Test event sent to ${endpoint.url}.`);
        } catch (error) {
          announce(error.message);
        }
      } }, "Send test", h("span", { class: "visually-hidden" }, ` to ${endpoint.url}`)),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!window.confirm(`Remove the endpoint ${endpoint.url}?`)) return;
        await api(`/webhooks/endpoints/${endpoint.id}`, { method: "DELETE" });
        await listEndpoints(list);
      } }, "Remove", h("span", { class: "visually-hidden" }, ` ${endpoint.url}`)))));
  if (body.data.length === 0) list.append(h("li", {}, "None."));
}

function endpointForm(onAdded) {
  const url = field("Endpoint URL", h("input", { name: "url", type: "url", required: true, placeholder: "https://..." }));
  const events = field("Events", h("input", { name: "events", value: "*" }), "Comma separated, e.g. video.completed, video.failed; * for all");
  const formError = formErrorSlot();
  const secretNote = h("p", { class: "hint", "aria-live": "polite" });
  const form = h("form", { novalidate: true }, url.wrap, events.wrap, formError.wrap,
    h("button", { type: "submit" }, "Add endpoint"), secretNote);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("/webhooks/endpoints", { method: "POST", body: {
        url: url.input.value.trim(),
        events: events.input.value.split(",").map((e) => e.trim()).filter(Boolean),
      } });
      setFieldError(url, "");
      setFieldError(events, "");
      setFieldError(formError, "");
      secretNote.textContent = `Its signing secret (shown only now): ${created.secret}`;
      form.querySelector("input").value = "";
      await onAdded();
    } catch (error) {
      showApiError(error, { url, events }, formError);
    }
  });
  return form;
}

function showKeys(section) {
  const adminKey = field("Admin key", h("input", { type: "password", autocomplete: "off", name: "admin_key" }),
    "Operators only: the gateway's AVATARMESH_ADMIN_KEY, kept in this tab like your API key.");
  const formError = formErrorSlot();
  const list = h("div", {});
  const unlock = h("form", { novalidate: true }, adminKey.wrap, formError.wrap, h("button", { type: "submit" }, "Manage API keys"));
  let form = null;
  const load = async () => {
    const keys = await api("/admin/v1/api-keys", { admin: true });
    form = form || createKeyForm(load);
    clear(list, apiKeyTable(keys.data, load), form);
  };
  unlock.addEventListener("submit", async (event) => {
    event.preventDefault();
    session.adminKey = adminKey.input.value.trim();
    try {
      await load();
      unlock.hidden = true;
    } catch (error) {
      session.adminKey = null;
      setFieldError(error.status === 401 ? adminKey : formError, errorText(error, error.status === 401));
    }
  });
  clear(section, h("h2", { id: "keys-title" }, "API keys"), unlock, list);
  if (session.adminKey) load().then(() => { unlock.hidden = true; }, () => { session.adminKey = null; });
}

function apiKeyTable(keys, reload) {
  return h("div", { class: "table-wrap" }, h("table", {},
    h("caption", { class: "visually-hidden" }, "API keys"),
    h("thead", {}, h("tr", {}, ["Owner", "Name", "Key starts", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, keys.map((key) => h("tr", {},
      h("td", {}, key.owner_id), h("td", {}, key.name || ""), h("td", {}, h("code", {}, key.prefix)),
      h("td", {}, when(key.created_at)),
      h("td", {}, key.revoked_at ? `revoked ${when(key.revoked_at)}` : h("button", {
        type: "button", class: "danger",
        onclick: async () => {
          if (!window.confirm(`Revoke ${key.prefix}… of ${key.owner_id}? Clients using it stop working.`)) return;
          await api(`/admin/v1/api-keys/${key.id}`, { method: "DELETE", admin: true });
          await reload();
        },
      }, "Revoke", h("span", { class: "visually-hidden" }, ` key ${key.prefix}`))))))));
}

function createKeyForm(reload) {
  const owner = field("Owner id", h("input", { name: "owner_id", required: true }));
  const name = field("Label", h("input", { name: "name" }));
  const formError = formErrorSlot();
  const out = h("p", { class: "hint", "aria-live": "polite" });
  const form = h("form", { novalidate: true }, h("div", { class: "fields" }, owner.wrap, name.wrap), formError.wrap,
    h("button", { type: "submit" }, "Create API key"), out);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const body = { owner_id: owner.input.value.trim() };
      if (name.input.value.trim()) body.name = name.input.value.trim();
      const created = await api("/admin/v1/api-keys", { method: "POST", body, admin: true });
      out.textContent = `New key (shown only now): ${created.key}`;
      await reload();
    } catch (error) {
      showApiError(error, { owner_id: owner, name }, formError);
    }
  });
  return form;
}
