// The history tool: a switch's changes (when, who, what), each with buttons to restore the
// switch as it was before or after that change, after a confirmation.

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
    can.change ? h("th", { scope: "col", text: t("restore") }) : null,
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
  const what = h("td", {}, change.summary || "");
  if (change.restoredFrom) {
    what.append(h("span", { class: "gargoyle-restored", text: t("restoredFrom", { id: change.restoredFrom }) }));
  }
  const row = h(
    "tr",
    { id: rowId },
    h("td", {}, h("time", { datetime: change.date, title: formatDate(date) }, relativeTime(date))),
    h("td", { text: change.username || t("someone") }),
    what,
  );
  if (can.change) {
    row.append(
      h(
        "td",
        { class: "gargoyle-history-actions" },
        restoreButton(item, change, rowId, "before", t("restoreBefore")),
        restoreButton(item, change, rowId, "after", t("restoreAfter")),
      ),
    );
  }
  return row;
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
  notify("switches-loaded", await api("switches"));
  const restoredKey = target ? target.key : key;
  if (state.switches.has(restoredKey)) {
    state.open.set(restoredKey, "history");
    state.histories.delete(restoredKey);
    notify("row-changed", { key: restoredKey });
    await loadHistory(restoredKey);
    returnFocusTo(state.rows.get(restoredKey)?.querySelector('[data-focus="tool-history"]') || null);
  } else {
    returnFocusTo(can.add ? dom.add : dom.search);
  }
  announce(target ? t("restored", { state: describeState(target) }) : t("restoredDeleted", { key }));
}
