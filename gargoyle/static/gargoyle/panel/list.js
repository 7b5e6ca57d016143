// The switch list: shows the rows that match the search, in order, with the count, the empty
// states and the sort buttons' state; rebuilds a row when its switch changes. The features
// ask for these through events (see state.js), which main.js hands to the functions here.

import { dom, keepSendingForms, restoreTyped, typedIn } from "./dom.js";
import { loadHistory } from "./history.js";
import { renderBulkBar } from "./bulk.js";
import { buildRow } from "./row.js";
import { FILTERS, matches, saveUrlState, searchWords, visibleSwitches } from "./search.js";
import { data, forget, indexConditionSets, renameSwitch, setSwitches, state } from "./state.js";
import { t } from "./text.js";

/**
 * Show the rows that match the search, in order; build the ones not built yet.
 *
 * Only searching, sorting, adding and reloading reorder the list: a row that was just
 * edited stays where it is, so the next click does not land on a row that moved there.
 */
export function renderList() {
  const active = document.activeElement;
  const visible = visibleSwitches();
  const wanted = new Set(visible.map((item) => item.key));
  for (const [key, row] of state.rows) {
    if (!wanted.has(key)) row.hidden = true;
  }
  let previous = null;
  for (const item of visible) {
    const row = rowFor(item);
    row.hidden = false;
    const expected = previous ? previous.nextElementSibling : dom.list.firstElementChild;
    if (expected !== row) dom.list.insertBefore(row, expected);
    previous = row;
  }
  // Moving a row drops the focus inside it: put it back.
  if (active && active !== document.activeElement && active.isConnected && !active.closest("[hidden]")) active.focus();
  renderCounts(visible.length);
  renderSortButtons();
  renderBulkBar();
}

/** The switch's row, built the first time it is asked for. */
function rowFor(item) {
  let row = state.rows.get(item.key);
  if (!row) {
    row = buildRow(item);
    state.rows.set(item.key, row);
  }
  return row;
}

/** How many rows the list shows now (an edited row stays, even if it no longer matches). */
function shownRows() {
  return Array.from(dom.list.children).filter((row) => !row.hidden).length;
}

function renderCounts(shown) {
  const total = state.switches.size;
  dom.empty.hidden = total !== 0;
  for (const tool of dom.listTools) tool.hidden = total === 0;
  dom.noMatch.hidden = total === 0 || shown !== 0;
  dom.list.hidden = shown === 0;
  if (total === 0) {
    dom.count.textContent = "";
  } else if (state.query.trim() || state.filter) {
    dom.count.textContent = t(shown === 1 ? "countMatchOne" : "countMatch", { shown, total });
    const query = state.query.trim();
    dom.noMatchText.textContent = query ? t("noMatch", { query }) : t("noMatchFilter");
    dom.clearSearch.textContent = query ? t("clearSearch") : t("showAll");
  } else {
    dom.count.textContent = t(total === 1 ? "countOne" : "count", { total });
  }
}

function renderSortButtons() {
  const field = state.order.replace(/^-/, "");
  const descending = state.order.startsWith("-");
  for (const button of dom.sortButtons) {
    const active = button.dataset.sort === field;
    button.setAttribute("aria-pressed", String(active));
    button.classList.toggle("gargoyle-sort-descending", active && descending);
    button.classList.toggle("gargoyle-sort-ascending", active && !descending);
    const label = t(`sort_${button.dataset.sort}`);
    button.setAttribute(
      "aria-label",
      active ? t(descending ? "sortedDescending" : "sortedAscending", { field: label }) : t("sortBy", { field: label }),
    );
  }
}

/** Rebuild one row from its switch dict, keeping the focus where it was. */
export function refreshRow(key, focusName = null) {
  const item = state.switches.get(key);
  const old = state.rows.get(key);
  const active = old && old.contains(document.activeElement) ? document.activeElement : null;
  if (!item) {
    forget(key);
    renderList();
    return;
  }
  const row = rebuilt(item, old);
  if (old) {
    row.hidden = old.hidden;
    old.replaceWith(row); // in place: see renderList
    renderCounts(shownRows());
    renderBulkBar();
  } else {
    renderList();
  }
  refocus(row, active, focusName);
}

/** Put the focus back into a rebuilt row: on ``focusName``, or where it was (``active``). */
function refocus(row, active, focusName = null) {
  const target = focusName || active?.dataset.focus;
  if (target) (row.querySelector(`[data-focus="${CSS.escape(target)}"]`) || row.querySelector("[data-focus]"))?.focus();
  else if (active?.id) row.querySelector(`#${CSS.escape(active.id)}`)?.focus(); // a field being typed in
}

/** Put a switch dict the API returned into the list (``oldKey``: its key before a rename). */
export function storeSwitch(item, oldKey = null, focusName = null) {
  if (oldKey && oldKey !== item.key) renameSwitch(oldKey, item.key);
  state.switches.set(item.key, item);
  // The history and a preview's verdict are stale now.
  state.histories.delete(item.key);
  const preview = state.previews.get(item.key);
  if (preview) preview.result = null;
  refreshRow(item.key, focusName);
  if (state.open.get(item.key) === "history") loadHistory(item.key);
}

/** A new switch: clear the search and the filter first if they would hide it, so that it shows. */
export function addSwitch(item) {
  if (state.query && !matches(item, searchWords(state.query))) setQuery("");
  if (state.filter && !FILTERS[state.filter]?.(item)) setFilter("");
  storeSwitch(item);
}

/** A deleted switch: its row goes. */
export function removeSwitch(key) {
  state.switches.delete(key);
  forget(key);
  renderList();
}

/** Every switch (and the condition sets) as the API answered them again: rebuild the rows. */
export function showSwitches(fresh) {
  if (fresh.conditionSets) {
    data.conditionSets = fresh.conditionSets;
    indexConditionSets();
  }
  setSwitches(fresh.switches || []);
  const active = document.activeElement;
  for (const key of state.switches.keys()) {
    const old = state.rows.get(key);
    if (old) {
      const hadFocus = old.contains(active);
      const row = rebuilt(state.switches.get(key), old);
      row.hidden = old.hidden;
      old.replaceWith(row);
      if (hadFocus) refocus(row, active);
    }
  }
  renderList();
}

/** A switch's row built anew, with what was typed into its open box and not sent yet. */
function rebuilt(item, old) {
  const typed = old ? typedIn(old) : [];
  const row = buildRow(item);
  state.rows.set(item.key, row);
  restoreTyped(row, typed);
  if (old) keepSendingForms(old, row);
  return row;
}

/** Search for ``query``: the search box, the list and the URL follow. */
export function setQuery(query) {
  state.query = query;
  if (dom.search.value !== query) dom.search.value = query;
  renderList();
  saveUrlState();
}

/** Show only the switches of kind ``filter`` ("" for all): the menu, the list and the URL follow. */
export function setFilter(filter) {
  state.filter = filter;
  if (dom.filter.value !== filter) dom.filter.value = filter;
  renderList();
  saveUrlState();
}

/** Sort by ``order`` ("label", "-modified"...): the list and the URL follow. */
export function setOrder(order) {
  state.order = order;
  renderList();
  saveUrlState();
}
