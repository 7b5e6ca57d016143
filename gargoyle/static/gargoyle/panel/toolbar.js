// The toolbar: the add buttons, the search box (Escape and "Clear the search" empty it; "/"
// anywhere else on the page focuses it, as on many sites) and the sort buttons. The list
// does the searching and sorting (and keeps the URL in step): the toolbar asks for it with
// the events "set-query" and "set-order". The count and the order show on the page already:
// they are said to screen readers only, not as a notice.

import { dom, say } from "./dom.js";
import { can, notify, state } from "./state.js";
import { t } from "./text.js";

let countTimer = null;

function setQuery(query) {
  notify("set-query", { query });
}

function onSearch() {
  setQuery(dom.search.value);
  clearTimeout(countTimer);
  // The count is announced once typing pauses, not at every key.
  countTimer = window.setTimeout(() => {
    if (state.query.trim()) say(dom.count.textContent || dom.noMatchText.textContent);
  }, 700);
}

function onSearchKey(event) {
  if (event.key === "Escape" && dom.search.value) {
    event.preventDefault();
    setQuery("");
  }
}

/** "/" focuses the search, unless the user is typing somewhere or a dialog is open. */
function onPageKey(event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  const typing = target.closest?.("input, textarea, select, [contenteditable]:not([contenteditable=false])");
  if (typing || document.querySelector("dialog[open]")) return;
  event.preventDefault();
  dom.search.focus();
  dom.search.select();
}

function onFilter() {
  notify("set-filter", { filter: dom.filter.value });
  say(dom.count.textContent || dom.noMatchText.textContent); // how many the filter leaves
}

function onSort(event) {
  const field = event.currentTarget.dataset.sort;
  const current = state.order.replace(/^-/, "");
  let order;
  if (field === current) {
    order = state.order.startsWith("-") ? field : `-${field}`;
  } else {
    order = field === "label" ? field : `-${field}`; // labels A-Z, dates newest first
  }
  notify("set-order", { order });
  const label = t(`sort_${field}`);
  say(t(order.startsWith("-") ? "sortedDescending" : "sortedAscending", { field: label }));
}

export function setupToolbar() {
  for (const button of [dom.add, dom.addFirst]) {
    button.hidden = !can.add;
    const open = (event) => notify("open-switch-dialog", { key: null, opener: event.currentTarget });
    button.addEventListener("click", open);
  }
  dom.search.addEventListener("input", onSearch);
  dom.search.addEventListener("keydown", onSearchKey);
  document.addEventListener("keydown", onPageKey);
  dom.clearSearch.addEventListener("click", () => {
    setQuery("");
    if (state.filter) notify("set-filter", { filter: "" });
    dom.search.focus();
  });
  for (const button of dom.sortButtons) button.addEventListener("click", onSort);
  dom.filter.addEventListener("change", onFilter);
}
