// Modal dialogs: opening one, giving the focus back when it closes, and the confirm dialog
// that asks before a risky action (Global, delete, restore) and runs it. And the other way
// no click loses work: the "Undo" a notice offers after a change, which puts the switch back
// as it was before that change (through the history, as "Restore" there does).

import { api } from "./api.js";
import { announce, dom, showError } from "./dom.js";
import { notify, state, switchLabel } from "./state.js";
import { t } from "./text.js";

let dialogOpener = null; // where the focus goes back when the open dialog closes
let confirmState = null; // { action, resolve } of the open confirm dialog

export function openDialog(dialog, opener) {
  dialogOpener = opener || document.activeElement;
  dialog.showModal();
}

/** Give the focus to ``element`` (not the opener) when the open dialog closes. */
export function returnFocusTo(element) {
  dialogOpener = element;
}

/** Where focus goes back when a dialog closes: the opener, or its successor if its row was rebuilt. */
export function restoreFocus() {
  let target = dialogOpener;
  if (target && !target.isConnected) {
    const key = target.closest(".gargoyle-switch")?.dataset.key;
    const row = key === undefined ? null : state.rows.get(key);
    const name = target.dataset.focus;
    target = row && name ? row.querySelector(`[data-focus="${CSS.escape(name)}"]`) : null;
  }
  dialogOpener = null;
  (target || dom.search).focus();
}

/** Ask in the confirm dialog; on "yes" run ``action`` there, showing its error if it fails. */
export function confirmAction({ title, message, confirm, danger = false, opener = null, action }) {
  return new Promise((resolve) => {
    confirmState = { action, resolve };
    dom.confirmTitle.textContent = title;
    dom.confirmMessage.textContent = message;
    dom.confirmOk.textContent = confirm;
    dom.confirmOk.classList.toggle("gargoyle-danger", danger);
    dom.confirmOk.disabled = false;
    showError(dom.confirmError, "");
    openDialog(dom.confirmDialog, opener);
    // The safe choice has the focus: Enter does not confirm by accident.
    dom.confirmCancel.focus();
  });
}

async function submitConfirm(event) {
  event.preventDefault();
  const choice = event.submitter ? event.submitter.value : "confirm";
  if (!confirmState) return;
  if (choice !== "confirm") {
    dom.confirmDialog.close();
    return;
  }
  dom.confirmOk.disabled = true;
  try {
    await confirmState.action();
    const { resolve } = confirmState;
    confirmState = null;
    dom.confirmDialog.close();
    resolve(true);
  } catch (error) {
    showError(dom.confirmError, error.message);
    dom.confirmOk.disabled = false;
  }
}

/** Closing the confirm dialog without confirming answers "no". */
function onConfirmClose() {
  if (confirmState) {
    confirmState.resolve(false);
    confirmState = null;
  }
  restoreFocus();
}

export function setupConfirmDialog() {
  dom.confirmForm.addEventListener("submit", submitConfirm);
  dom.confirmDialog.addEventListener("close", onConfirmClose);
}

/**
 * Say ``message`` with an "Undo" button that reverts change ``changeId``
 * (the ``changeId`` the API answered with the write); the focus then goes to the row's
 * ``focus`` element. Without a change id there is nothing to undo: just the message.
 */
export function announceUndoable(message, changeId, { key, what, focus = null, onUndo = null }) {
  if (changeId === null || changeId === undefined) {
    announce(message);
    return;
  }
  const run = () => undoChange(changeId, { key, focus, onUndo });
  announce(message, "success", { label: t("undo"), name: t("undoOf", { what }), run });
}

const undone = new Set(); // the change ids undone (or being undone): each one is undone once

/** Revert change ``changeId`` of switch ``key`` alone; focus its row's ``focus`` element. */
export async function undoChange(changeId, { key, focus = null, onUndo = null }) {
  if (undone.has(changeId)) return;
  undone.add(changeId);
  try {
    // history/undo/ reverts this change alone, and refuses (with the reason) when someone
    // changed the same thing since: restoring the state before it would overwrite that.
    const item = await api("undo", { method: "POST", body: { id: String(changeId) } });
    if (onUndo) onUndo();
    if (item && item.key) {
      notify("switch-stored", { item, oldKey: item.key === key ? null : key, focus });
      const row = state.rows.get(item.key);
      (row?.querySelector(`[data-focus="${CSS.escape(focus || "")}"]`) || row?.querySelector("[data-focus]"))?.focus();
      announce(t("undone", { label: switchLabel(item) }));
    } else {
      notify("switches-loaded", await api("switches"));
    }
  } catch (error) {
    undone.delete(changeId);
    announce(error.message, "error");
  }
}
