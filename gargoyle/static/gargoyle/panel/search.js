// Which switches show, and in what order: the search words, the filter by kind, the sort
// orders, and the URL (?q=, ?show= and ?o=) that keeps them across reloads.

import { dom } from "./dom.js";
import { DEFAULT_ORDER, STATUS, state } from "./state.js";
import { collator } from "./text.js";

const SORTS = {
  created: (a, b) => compareDates(a.date_created, b.date_created),
  modified: (a, b) => compareDates(a.date_modified, b.date_modified),
  label: (a, b) => collator.compare(a.label || a.key, b.label || b.key) || collator.compare(a.key, b.key),
};

function compareDates(a, b) {
  return (Date.parse(a) || 0) - (Date.parse(b) || 0);
}

/** The kinds of switch the "Show" menu picks, as the admin's list filters would. */
export const FILTERS = {
  global: (item) => item.status === STATUS.GLOBAL,
  selective: (item) => item.status === STATUS.SELECTIVE,
  disabled: (item) => item.status === STATUS.DISABLED,
  inherit: (item) => item.status === STATUS.INHERIT,
  // Conditions that cannot be used, a stored value to fix, an upgrade notice to review.
  attention: (item) => Boolean(item.problem) || (item.notices || []).length > 0,
  // Candidates for removal: unchecked, or settled for weeks (gargoyle.stale).
  stale: (item) => Boolean(item.stale),
};

export function searchWords(query) {
  return query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
}

/** Whether every search word is in the switch's key, label or description. */
export function matches(item, words) {
  if (!words.length) return true;
  const haystack = [item.key, item.label, item.description].filter(Boolean).join("\n").toLocaleLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** The switches that match the search, in the chosen order. */
export function visibleSwitches() {
  const words = searchWords(state.query);
  const descending = state.order.startsWith("-");
  const compare = SORTS[state.order.replace(/^-/, "")] || SORTS.modified;
  const kind = FILTERS[state.filter] || (() => true);
  return Array.from(state.switches.values())
    .filter((item) => kind(item) && matches(item, words))
    .sort((a, b) => (descending ? -compare(a, b) : compare(a, b)) || collator.compare(a.key, b.key));
}

export function saveUrlState() {
  const url = new URL(window.location.href);
  if (state.query) url.searchParams.set("q", state.query);
  else url.searchParams.delete("q");
  if (state.filter) url.searchParams.set("show", state.filter);
  else url.searchParams.delete("show");
  if (state.order !== DEFAULT_ORDER) url.searchParams.set("o", state.order);
  else url.searchParams.delete("o");
  window.history.replaceState(null, "", url);
}

export function readUrlState() {
  const params = new URLSearchParams(window.location.search);
  const order = params.get("o");
  if (order && Object.hasOwn(SORTS, order.replace(/^-/, ""))) state.order = order;
  const show = params.get("show");
  state.filter = show && Object.hasOwn(FILTERS, show) ? show : "";
  dom.filter.value = state.filter;
  // Words typed (or restored by the browser) before this script ran are kept, not wiped.
  state.query = params.get("q") || dom.search.value.trim();
  dom.search.value = state.query;
}
