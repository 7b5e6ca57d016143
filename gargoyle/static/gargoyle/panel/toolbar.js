// The toolbar: the add buttons, the search box (Escape and "Clear the search" empty it) and
// the sort buttons, each keeping the URL in step.

import { announce, dom } from "./dom.js";
import { renderList } from "./list.js";
import { saveUrlState } from "./search.js";
import { can, state } from "./state.js";
import { openSwitchDialog } from "./switch-dialog.js";
import { t } from "./text.js";

let countTimer = null;

export function setQuery(query) {
  state.query = query;
  if (dom.search.value !== query) dom.search.value = query;
  renderList();
  saveUrlState();
}

function onSearch() {
  setQuery(dom.search.value);
  clearTimeout(countTimer);
  // The count is announced once typing pauses, not at every key.
  countTimer = window.setTimeout(() => {
    if (state.query.trim()) announce(dom.count.textContent || dom.noMatchText.textContent, "info");
  }, 700);
}

function onSearchKey(event) {
  if (event.key === "Escape" && dom.search.value) {
    event.preventDefault();
    setQuery("");
  }
}

function onSort(event) {
  const field = event.currentTarget.dataset.sort;
  const current = state.order.replace(/^-/, "");
  if (field === current) {
    state.order = state.order.startsWith("-") ? field : `-${field}`;
  } else {
    state.order = field === "label" ? field : `-${field}`; // labels A-Z, dates newest first
  }
  renderList();
  saveUrlState();
  const label = t(`sort_${field}`);
  announce(t(state.order.startsWith("-") ? "sortedDescending" : "sortedAscending", { field: label }), "info");
}

export function setupToolbar() {
  for (const button of [dom.add, dom.addFirst]) {
    button.hidden = !can.add;
    button.addEventListener("click", (event) => openSwitchDialog(null, event.currentTarget));
  }
  dom.search.addEventListener("input", onSearch);
  dom.search.addEventListener("keydown", onSearchKey);
  dom.clearSearch.addEventListener("click", () => {
    setQuery("");
    dom.search.focus();
  });
  for (const button of dom.sortButtons) button.addEventListener("click", onSort);
}
