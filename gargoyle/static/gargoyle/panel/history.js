// The history tool: a switch's changes (number, when, who, exactly what), each with
// "Undo this change" where the server says that change can be reverted alone (else the
// reason), and "Restore this state" (after a confirmation) where that state is not the
// switch as it is now: the newest row offers no no-op.

import { api } from "./api.js";
import { confirmAction, returnFocusTo } from "./dialogs.js";
import { announce, dom, h } from "./dom.js";
import { can, notify, state, switchLabel, TOGGLES } from "./state.js";
import { formatDate, relativeTime, t } from "./text.js";

export function buildHistory(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("historyTitle", { label }) }));
  const changes = state.histories.get(item.key);
  if (changes === undefined) {
    panel.append(h("p", { class: "gargoyle-loading", text: t("loading") }));
  } else if (changes instanceof Error) {
    panel.append(h("p", { class: "errornote", role: "alert", text: changes.message }));
  } else if (!changes.length) {
    panel.append(h("p", { class: "help", text: t("historyEmpty") }));
  } else {
    panel.append(h("div", { class: "gargoyle-history-scroll" }, buildTable(item, id, label, changes)));
  }
}

function buildTable(item, id, label, changes) {
  const head = h(
    "tr",
    {},
    h("th", { scope: "col", text: t("when") }),
    h("th", { scope: "col", text: t("who") }),
    h("th", { scope: "col", text: t("what") }),
    can.change ? h("th", { scope: "col", text: t("historyActions") }) : null,
  );
  return h(
    "table",
    { class: "gargoyle-history" },
    h("caption", { class: "gargoyle-sr-only", text: t("historyTitle", { label }) }),
    h("thead", {}, head),
    h("tbody", {}, changes.map((change) => buildChange(item, id, change))),
  );
}

function buildChange(item, id, change) {
  const date = new Date(change.date);
  const rowId = `${id}-change-${change.id}`;
  // The summary names what changed, "restores #14: ..." included; the number is how other rows refer to it.
  const what = h(
    "td",
    {},
    h("span", { class: "gargoyle-change-number", text: t("changeNumber", { id: change.id }) }),
    " ",
    h("span", { class: "gargoyle-change-summary", text: change.summary || "" }),
    // A machine's change (a schedule applied) says which, and for whom.
    change.note ? h("span", { class: "gargoyle-change-note", text: ` (${change.note})` }) : null,
  );
  const row = h(
    "tr",
    { id: rowId },
    h("td", {}, h("time", { datetime: change.date, title: formatDate(date) }, relativeTime(date))),
    h("td", { text: whoMade(change) }),
    what,
  );
  if (can.change) {
    row.append(h("td", { class: "gargoyle-history-actions" }, ...buildActions(item, change, rowId)));
  }
  return row;
}

function whoMade(change) {
  if (change.via === "schedule") return t("bySchedule", { who: change.username || t("aCommand") });
  if (change.via === "rollout") return t("byRollout", { who: change.username || t("aCommand") });
  if (change.via === "sync_switches") return t("bySyncSwitches");
  return change.username || t("someone");
}

function buildActions(item, change, rowId) {
  const actions = [];
  if (change.undoable) {
    actions.push(
      h(
        "button",
        {
          type: "button",
          class: "button gargoyle-small",
          data: { focus: `undo-${change.id}` },
          "aria-describedby": rowId,
          on: { click: (event) => undoFromHistory(item.key, change, event.currentTarget) },
        },
        t("undoChange"),
      ),
    );
  } else if (change.undoReason) {
    actions.push(h("p", { class: "help gargoyle-undo-blocked", text: t("undoBlocked", { reason: change.undoReason }) }));
  }
  if (change.afterIsCurrent) {
    actions.push(h("p", { class: "help gargoyle-history-current", text: t("historyIsCurrent") }));
  } else {
    actions.push(restoreButton(item, change, rowId, "after", t("restoreAfter")));
  }
  return actions;
}

/** Undo one change (no confirmation: the undo is recorded and can itself be undone). */
async function undoFromHistory(key, change, button) {
  button.disabled = true; // a second click must not send a second undo
  let item;
  try {
    item = await api("undo", { method: "POST", body: { id: String(change.id) } });
  } catch (error) {
    button.disabled = false;
    announce(error.message, "error");
    return;
  }
  await reloadAfter(item && item.key ? item.key : key, Boolean(item && item.key));
  announce(t("historyUndone", { id: change.id, summary: change.summary || "" }));
}

function restoreButton(item, change, rowId, which, text) {
  return h(
    "button",
    {
      type: "button",
      class: "button gargoyle-small",
      data: { focus: `restore-${which}-${change.id}` },
      "aria-describedby": rowId,
      on: { click: (event) => confirmRestore(item.key, change, which, event.currentTarget) },
    },
    text,
  );
}

/** Fetch a switch's history, then show it if its history box is still open. */
export async function loadHistory(key) {
  try {
    const changes = await api("history", { params: { key } });
    state.histories.set(key, changes);
  } catch (error) {
    state.histories.set(key, error);
  }
  if (state.open.get(key) === "history") notify("row-changed", { key });
}

function describeState(fields) {
  if (!fields) return t("stateDeleted");
  const status = TOGGLES.find(([value]) => value === fields.status);
  return t("stateSummary", { label: fields.label || fields.key, status: status ? t(status[1]) : fields.status });
}

function confirmRestore(key, change, which, opener) {
  const target = change[which];
  const when = formatDate(new Date(change.date));
  confirmAction({
    title: which === "before" ? t("restoreBeforeTitle") : t("restoreAfterTitle"),
    message: t(which === "before" ? "restoreBeforeMessage" : "restoreAfterMessage", {
      summary: change.summary || "",
      when,
      state: describeState(target),
    }),
    confirm: target ? t("restoreConfirm") : t("restoreDeleteConfirm"),
    danger: !target,
    opener,
    action: () => restore(key, change, which),
  });
}

/** Restore, reload the list, and show the restored switch's history (focus goes back there). */
async function restore(key, change, which) {
  const target = change[which];
  await api("restore", { method: "POST", body: { id: change.id, state: which } });
  await reloadAfter(target ? target.key : key, Boolean(target));
  announce(target ? t("restored", { state: describeState(target) }) : t("restoredDeleted", { key }));
}

/** Reload the list after a write from the history; show the switch's history again, focused. */
async function reloadAfter(restoredKey, exists) {
  notify("switches-loaded", await api("switches"));
  if (exists && state.switches.has(restoredKey)) {
    state.open.set(restoredKey, "history");
    state.histories.delete(restoredKey);
    notify("row-changed", { key: restoredKey });
    await loadHistory(restoredKey);
    returnFocusTo(state.rows.get(restoredKey)?.querySelector('[data-focus="tool-history"]') || null);
  } else {
    returnFocusTo(can.add ? dom.add : dom.search);
  }
}
