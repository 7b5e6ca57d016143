// Changing a switch's status from its toggles; Global (on for everyone) asks first.

import { api } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { announce } from "./dom.js";
import { notify, STATUS, state, switchLabel, TOGGLES } from "./state.js";
import { t } from "./text.js";

const pending = new Set(); // keys whose status change is on the way

export async function changeStatus(key, status) {
  const item = state.switches.get(key);
  if (!item || item.status === status || pending.has(key)) return;
  const label = switchLabel(item);
  const statusText = t(TOGGLES.find(([value]) => value === status)[1]);
  const send = async () => {
    pending.add(key);
    try {
      const updated = await api("status", { method: "POST", body: { key, status } });
      notify("switch-stored", { item: updated, focus: `status-${status}` });
      announce(t("statusChanged", { label, status: statusText, effect: updated.statusLabel || "" }));
    } finally {
      pending.delete(key);
    }
  };
  if (status === STATUS.GLOBAL) {
    await confirmAction({
      title: t("globalTitle", { label }),
      message: t("globalMessage", { label, key }),
      confirm: t("globalConfirm"),
      opener: document.activeElement,
      action: send,
    });
    return;
  }
  try {
    await send();
  } catch (error) {
    announce(error.message, "error");
  }
}
