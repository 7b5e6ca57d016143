// Several switches at once: a check box on each row, "Select all shown", and the bar that
// sets the status of the chosen ones together (status/bulk/, all or nothing), as the
// admin's actions would. Global asks first, as on a row, and so does Inherit for switches
// without a parent; the notice offers an Undo that reverts every switch's change, or none
// (history/undo/bulk/). Only rows the list shows are ever chosen: a row the search or the
// filter hides leaves the selection.

import { api } from "./api.js";
import { confirmAction } from "./dialogs.js";
import { announce, dom, h } from "./dom.js";
import { can, notify, parentOf, STATUS, state, switchLabel } from "./state.js";
import { t } from "./text.js";

// A request holds at most this many keys (the server's limit, below Django's field limit).
const MAX_KEYS = 900;

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

/** The chosen switches (all shown: see renderBulkBar). */
function chosen() {
  return shownKeys().filter((key) => state.selected.has(key));
}

/** "1 switch" or "3 switches": the text ``key`` in its singular or plural form. */
function counted(key, count, params = {}) {
  return t(count === 1 ? `${key}One` : `${key}Many`, { count, ...params });
}

/** Show the bar while switches are chosen; keep the check boxes and "Select all shown" in step. */
export function renderBulkBar() {
  if (!can.change) return;
  const shown = shownKeys();
  const visible = new Set(shown);
  for (const key of Array.from(state.selected.keys())) {
    if (!visible.has(key)) state.selected.delete(key); // deleted, or hidden by the search or filter
  }
  const count = chosen().length;
  dom.bulk.hidden = count === 0;
  dom.bulkCount.textContent = counted("selected", count);
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
  if (keys.length > MAX_KEYS) {
    announce(t("bulkTooMany", { count: keys.length, max: MAX_KEYS }), "error");
    return;
  }
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
    const what = counted("bulkUndoWhat", ids.length);
    announce(message, "success", { label: t("undo"), name: t("undoOf", { what }), run: () => undoAll(ids) });
  };
  const ask = askFirst(keys, status);
  if (!ask) {
    try {
      await send();
    } catch (error) {
      announce(error.message, "error");
    }
    return;
  }
  await confirmAction({ ...ask, opener, action: send });
}

/** The question to ask before setting ``status`` on ``keys`` (as a row asks), or null. */
function askFirst(keys, status) {
  const labels = (list) => list.map((key) => switchLabel(state.switches.get(key))).join(", ");
  if (status === STATUS.GLOBAL) {
    return {
      title: counted("bulkGlobalTitle", keys.length),
      message: t("bulkGlobalMessage", { labels: labels(keys) }),
      confirm: t("globalConfirm"),
    };
  }
  const orphans = status === STATUS.INHERIT ? keys.filter((key) => parentOf(key) === null) : [];
  if (!orphans.length) return null;
  return {
    title: t("inheritNoParentTitle"),
    message: t("bulkInheritMessage", { labels: labels(orphans) }),
    confirm: t("inheritConfirm"),
  };
}

/** Undo every switch's change of a bulk status change, or none (the server says which is in the way). */
async function undoAll(ids) {
  try {
    const answer = await api("bulkUndo", { method: "POST", body: ids.map((id) => ["id", String(id)]) });
    for (const item of answer.switches) notify("switch-stored", { item });
    announce(counted("bulkUndone", ids.length));
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
