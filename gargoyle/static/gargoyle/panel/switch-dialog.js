// Adding, editing and deleting a switch: the add/edit dialog (its key follows the name until
// it is typed in; a key templates cannot use is refused before the round trip, and renaming
// a key warns what it breaks), and the delete confirmation.

import { api } from "./api.js";
import { confirmAction, openDialog, restoreFocus, returnFocusTo } from "./dialogs.js";
import { announce, clearFieldErrors, dom, h, markFieldError, showError } from "./dom.js";
import { can, notify, state, switchLabel } from "./state.js";
import { t } from "./text.js";

let editingKey = null; // the key of the switch being edited; null when adding one
let keyTouched = false; // whether the key was typed in (then it no longer follows the name)
let keyError = null; // the key's own error, next to it
let renameWarning = null; // what renaming the key breaks, shown while the key differs

// {% ifswitch key %} reads its key as one template tag argument: whitespace ends it, a quote
// at either end is taken for quoting (and stripped), and "%}" ends the tag. The server's own
// validation stays the authority; this only refuses early what no template could ask for.
const TAG = "{% ifswitch key %}";
const TAG_END = "%}";

/** Why templates cannot use ``key``, or "" when they can. */
function keyProblem(key) {
  if (/\s/.test(key) || /^["']|["']$/.test(key) || key.includes(TAG_END)) {
    return t("keyRule", { tag: TAG, tagEnd: TAG_END, single: "'", double: '"' });
  }
  return "";
}

function showRenameWarning() {
  const key = dom.switchForm.elements.key.value.trim();
  const renaming = Boolean(editingKey) && key !== "" && key !== editingKey;
  showError(renameWarning, renaming ? t("renameWarning", { old: editingKey, new: key }) : "");
}

export function openSwitchDialog(key, opener) {
  editingKey = key;
  const item = key ? state.switches.get(key) : null;
  const form = dom.switchForm;
  const mode = item ? "edit" : "add";
  dom.switchTitle.textContent = dom.switchTitle.dataset[mode];
  dom.switchSubmit.textContent = dom.switchSubmit.dataset[mode];
  form.elements.name.value = item ? item.storedLabel || "" : "";
  form.elements.key.value = item ? item.key : "";
  form.elements.desc.value = item ? item.description || "" : "";
  keyTouched = Boolean(item);
  clearFieldErrors(form);
  showError(dom.switchError, "");
  showError(keyError, "");
  showRenameWarning();
  openDialog(dom.switchDialog, opener);
  form.elements.name.focus();
}

function slugify(text) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9:]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
}

async function submitSwitchForm(event) {
  event.preventDefault();
  const form = dom.switchForm;
  clearFieldErrors(form);
  showError(dom.switchError, "");
  showError(keyError, "");
  const key = form.elements.key.value.trim();
  // A stored key that is kept as it is stays allowed: its label and description can change.
  const problem = key ? (key === editingKey ? "" : keyProblem(key)) : t("keyRequired");
  if (problem) {
    showError(keyError, problem);
    markFieldError(form, "key:");
    return;
  }
  const body = { key, name: form.elements.name.value.trim(), desc: form.elements.desc.value };
  const oldKey = editingKey;
  dom.switchSubmit.disabled = true;
  try {
    const item = oldKey
      ? await api("update", { method: "POST", body: { ...body, curkey: oldKey } })
      : await api("add", { method: "POST", body });
    // The row first, then the dialog closes and its "close" handler gives the focus back.
    if (oldKey) showEdited(item, oldKey);
    else showAdded(item);
    dom.switchDialog.close();
  } catch (error) {
    showError(dom.switchError, error.message);
    markFieldError(form, error.message);
  } finally {
    dom.switchSubmit.disabled = false;
  }
}

function showEdited(item, oldKey) {
  notify("switch-stored", { item, oldKey });
  returnFocusTo(state.rows.get(item.key)?.querySelector('[data-focus="edit"]') || null);
  announce(t("switchSaved", { label: switchLabel(item) }));
}

function showAdded(item) {
  notify("switch-added", { item }); // the list clears a search that would hide it
  const row = state.rows.get(item.key);
  returnFocusTo(row?.querySelector('[data-focus^="status-"]') || row?.querySelector("[data-focus]") || null);
  row?.scrollIntoView({ block: "nearest" });
  announce(t("switchAdded", { label: switchLabel(item), key: item.key }));
}

export function confirmDelete(key, opener) {
  const item = state.switches.get(key);
  if (!item) return;
  const label = switchLabel(item);
  confirmAction({
    title: t("deleteTitle", { label }),
    message: t("deleteMessage", { label, key }),
    confirm: t("deleteConfirm"),
    danger: true,
    opener,
    action: async () => {
      const fallback = nextFocusAfterRemoving(key);
      await api("delete", { method: "POST", body: { key } });
      notify("switch-deleted", { key });
      returnFocusTo(fallback);
      announce(t("switchDeleted", { label, key }));
    },
  });
}

/** Where the focus goes when a row goes: the next visible row, the previous one, or the toolbar. */
function nextFocusAfterRemoving(key) {
  const row = state.rows.get(key);
  let sibling = row?.nextElementSibling;
  while (sibling && sibling.hidden) sibling = sibling.nextElementSibling;
  if (!sibling) {
    sibling = row?.previousElementSibling;
    while (sibling && sibling.hidden) sibling = sibling.previousElementSibling;
  }
  return sibling?.querySelector("[data-focus]") || (can.add ? dom.add : dom.search);
}

export function setupSwitchDialog() {
  const { key, name } = dom.switchForm.elements;
  keyError = h("p", { class: "errornote gargoyle-field-error", id: "gargoyle-switch-key-error", role: "alert", hidden: true });
  renameWarning = h("p", { class: "gargoyle-rename-warning", id: "gargoyle-switch-key-warning", hidden: true });
  key.after(keyError);
  key.parentElement.append(renameWarning);
  key.setAttribute("aria-describedby", `${key.getAttribute("aria-describedby") || ""} ${renameWarning.id}`.trim());
  key.setAttribute("aria-errormessage", keyError.id);
  dom.switchForm.addEventListener("submit", submitSwitchForm);
  key.addEventListener("input", () => {
    keyTouched = key.value !== "";
    showRenameWarning();
  });
  name.addEventListener("input", () => {
    if (!keyTouched && !editingKey) key.value = slugify(name.value);
    showRenameWarning();
  });
  for (const button of dom.switchDialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dom.switchDialog.close());
  }
  dom.switchDialog.addEventListener("close", () => restoreFocus());
}
