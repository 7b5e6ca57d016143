// Several switches at once: a check box on each row, "Select all shown", and the bar that
// sets the status of the chosen ones together (status/bulk/, all or nothing), as the
// admin's actions would. Global asks first, as on a row; the notice offers an Undo that
// reverts each switch's change.

import { api } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { announce, dom, h } from "./dom.js";
import { can, notify, STATUS, state, switchLabel } from "./state.js";
import { t } from "./text.js";

const STATUS_TEXT = {
  [STATUS.INHERIT]: "statusInherit",
  [STATUS.GLOBAL]: "statusGlobal",
  [STATUS.SELECTIVE]: "statusSelective",
  [STATUS.DISABLED]: "statusDisabled",
};

/** The row's check box; null for staff who may not change switches. */
export function buildSelectBox(item, label) {
  if (!can.change) return null;
  return h("input", {
    type: "checkbox",
    class: "gargoyle-select",
    "aria-label": t("selectSwitch", { label }),
    checked: state.selected.has(item.key),
    data: { focus: "select" },
    on: { change: (event) => select([item.key], event.currentTarget.checked) },
  });
}

function select(keys, on) {
  for (const key of keys) {
    if (on) state.selected.set(key, true);
    else state.selected.delete(key);
  }
  notify("selection-changed");
}

/** The keys of the rows the list shows, in its order (the search and the filter hide the others). */
function shownKeys() {
  return Array.from(dom.list.children)
    .filter((row) => !row.hidden && state.switches.has(row.dataset.key))
    .map((row) => row.dataset.key);
}

/** The chosen switches among those shown: a hidden row is never changed unseen. */
function chosen() {
  return shownKeys().filter((key) => state.selected.has(key));
}

/** Show the bar while switches are chosen; keep the check boxes and "Select all shown" in step. */
export function renderBulkBar() {
  if (!can.change) return;
  for (const key of Array.from(state.selected.keys())) {
    if (!state.switches.has(key)) state.selected.delete(key);
  }
  const shown = shownKeys();
  const count = chosen().length;
  dom.bulk.hidden = count === 0;
  dom.bulkCount.textContent = t(count === 1 ? "selectedOne" : "selectedMany", { count });
  dom.selectAllBox.hidden = shown.length === 0;
  const all = shown.length > 0 && shown.every((key) => state.selected.has(key));
  dom.selectAll.checked = all;
  dom.selectAll.indeterminate = !all && count > 0;
  for (const [key, row] of state.rows) {
    const box = row.querySelector(".gargoyle-select");
    if (box) box.checked = state.selected.has(key);
  }
  for (const button of dom.bulkButtons) {
    const forbidden = Number(button.dataset.status) === STATUS.GLOBAL && !can.setGlobal;
    button.disabled = forbidden;
    button.title = forbidden ? t("noGlobalPermission") : "";
  }
}

async function setStatus(status, opener) {
  const keys = chosen();
  if (!keys.length) return;
  const send = async () => {
    const body = [...keys.map((key) => ["key", key]), ["status", String(status)]];
    const answer = await api("bulkStatus", { method: "POST", body });
    for (const item of answer.switches) notify("switch-stored", { item });
    const message = t("bulkChanged", { summary: answer.changeSummary, status: t(STATUS_TEXT[status]) });
    const ids = answer.changeIds || [];
    if (!ids.length) {
      announce(message);
      return;
    }
    const what = t("bulkUndoWhat", { count: ids.length });
    announce(message, "success", { label: t("undo"), name: t("undoOf", { what }), run: () => undoAll(ids) });
  };
  if (status !== STATUS.GLOBAL) {
    try {
      await send();
    } catch (error) {
      announce(error.message, "error");
    }
    return;
  }
  const labels = keys.map((key) => switchLabel(state.switches.get(key)));
  await confirmAction({
    title: t("bulkGlobalTitle", { count: keys.length }),
    message: t("bulkGlobalMessage", { labels: labels.join(", ") }),
    confirm: t("globalConfirm"),
    opener,
    action: send,
  });
}

/** Undo each switch's change, newest first; stop at the first one history refuses. */
async function undoAll(ids) {
  try {
    for (const id of [...ids].reverse()) {
      const item = await api("undo", { method: "POST", body: { id: String(id) } });
      if (item && item.key) notify("switch-stored", { item });
    }
    announce(t("bulkUndone", { count: ids.length }));
  } catch (error) {
    announce(error.message, "error");
  }
}

export function setupBulk() {
  dom.selectAllBox.hidden = !can.change;
  if (!can.change) return;
  dom.selectAll.addEventListener("change", () => {
    select(shownKeys(), dom.selectAll.checked);
  });
  for (const button of dom.bulkButtons) {
    button.addEventListener("click", (event) => setStatus(Number(button.dataset.status), event.currentTarget));
  }
  dom.bulkClear.addEventListener("click", () => {
    state.selected.clear();
    notify("selection-changed");
    dom.selectAll.focus();
  });
}
