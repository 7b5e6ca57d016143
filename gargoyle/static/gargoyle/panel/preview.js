// The preview tool: would this switch be on for a given user and IP address? It asks the API
// and shows the verdict with its reason; the row remembers what was asked.

import { api } from "./api.js";
import { clearFieldErrors, h, markFieldError, showError } from "./dom.js";
import { state, switchLabel } from "./state.js";
import { t } from "./text.js";

export function buildPreview(item, panel, id) {
  const label = switchLabel(item);
  const saved = state.previews.get(item.key) || { username: "", ip: "", result: null };
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("previewTitle", { label }) }));
  const username = textInput(`${id}-username`, "username", saved.username, {
    "data-autofocus": true,
    data: { focus: "preview-username" },
  });
  const ip = textInput(`${id}-ip`, "ip", saved.ip, {
    inputmode: "decimal",
    placeholder: "203.0.113.7",
    data: { focus: "preview-ip" },
  });
  const result = h("div", { class: "gargoyle-preview-result", role: "status", "aria-live": "polite" });
  const error = h("p", { class: "errornote gargoyle-inline-error", role: "alert", hidden: true });
  if (saved.result) renderVerdict(result, saved.result);
  const form = h(
    "form",
    { class: "gargoyle-preview-form", novalidate: true },
    h("p", { class: "help", text: t("previewHelp") }),
    h(
      "div",
      { class: "gargoyle-preview-inputs" },
      labelled(username, t("username")),
      labelled(ip, t("ipAddress")),
      h("button", { type: "submit", class: "button default", data: { focus: "preview-submit" } }, t("check")),
    ),
    error,
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const asked = { username: username.value.trim(), ip: ip.value.trim() };
    checkPreview(item.key, asked, form, result, error);
  });
  panel.append(form);
}

function textInput(id, name, value, extra) {
  return h("input", { type: "text", id, name, value, autocomplete: "off", spellcheck: "false", ...extra });
}

function labelled(input, label) {
  return h("div", { class: "gargoyle-value" }, h("label", { for: input.id, text: label }), input);
}

async function checkPreview(key, asked, form, result, error) {
  showError(error, "");
  clearFieldErrors(form);
  try {
    const verdict = await api("preview", { params: { key, ...asked } });
    state.previews.set(key, { ...asked, result: verdict });
    renderVerdict(result, verdict);
  } catch (failure) {
    result.replaceChildren();
    showError(error, failure.message);
    markFieldError(form, failure.message);
  }
}

function renderVerdict(element, verdict) {
  const kind = verdict.active ? "on" : "off";
  const text = verdict.active ? t("verdictOn") : t("verdictOff");
  element.replaceChildren(
    h("strong", { class: `gargoyle-verdict gargoyle-verdict-${kind}`, text }),
    " ",
    h("span", { class: "gargoyle-verdict-reason", text: verdict.reason || "" }),
  );
  // Where the subject falls for each percent condition: "alice is in bucket 37.12 of
  // new_checkout: outside 0–10".
  const buckets = verdict.buckets || [];
  if (buckets.length) {
    element.append(
      h(
        "ul",
        { class: "gargoyle-buckets", "aria-label": t("bucketsOf") },
        ...buckets.map((bucket) =>
          h("li", { class: `gargoyle-bucket gargoyle-bucket-${bucket.inside ? "inside" : "outside"}`, text: bucket.text }),
        ),
      ),
    );
  }
}
