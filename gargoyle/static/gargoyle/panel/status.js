// Changing a switch's status from its toggles: Global (on for everyone) asks first, and so
// does Inherit where there is no parent to inherit from; every change offers an "Undo".

import { api } from "./api.js";
import { announceUndoable, confirmAction } from "./dialogs.js";
import { announce } from "./dom.js";
import { notify, parentOf, STATUS, state, switchLabel, TOGGLES } from "./state.js";
import { t } from "./text.js";

const pending = new Set(); // keys whose status change is on the way

/** What Inherit does for switch ``key``, in words. */
export function inheritExplained(key) {
  const parent = parentOf(key);
  if (parent !== null) return t("inheritParent", { key, parent });
  if (!key.includes(":")) return t("inheritNoParentKey", { key });
  return t("inheritNoParent", { parent: key.slice(0, key.lastIndexOf(":")) });
}

function statusText(status) {
  const toggle = TOGGLES.find(([value]) => value === status);
  return toggle ? t(toggle[1]) : String(status);
}

export async function changeStatus(key, status) {
  const item = state.switches.get(key);
  if (!item || item.status === status || pending.has(key)) return;
  const label = switchLabel(item);
  const before = item.status;
  const send = async () => {
    pending.add(key);
    try {
      const updated = await api("status", { method: "POST", body: { key, status } });
      notify("switch-stored", { item: updated, focus: `status-${status}` });
      const effect = updated.audience || updated.statusLabel || "";
      const message = t("statusChanged", { label, status: statusText(status), effect });
      const what = `${t("statusOf", { label })}: ${statusText(status)}`;
      announceUndoable(message, updated.changeId, { key: updated.key, what, focus: `status-${before}` });
    } finally {
      pending.delete(key);
    }
  };
  const ask = askFirst(item, status, label);
  if (ask) {
    await confirmAction({ ...ask, opener: document.activeElement, action: send });
    return;
  }
  try {
    await send();
  } catch (error) {
    announce(error.message, "error");
  }
}

/** The question to ask before setting ``status``, or null to set it at once. */
function askFirst(item, status, label) {
  if (status === STATUS.GLOBAL) {
    return {
      title: t("globalTitle", { label }),
      message: t("globalMessage", { label, key: item.key }),
      confirm: t("globalConfirm"),
    };
  }
  if (status === STATUS.INHERIT && parentOf(item.key) === null) {
    return { title: t("inheritNoParentTitle"), message: inheritExplained(item.key), confirm: t("inheritConfirm") };
  }
  return null;
}
