// Modal dialogs: opening one, giving the focus back when it closes, and the confirm dialog
// that asks before a risky action (Global, delete, restore) and runs it.

import { dom, showError } from "./dom.js";
import { state } from "./state.js";

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
