// What the panel knows: the page's data (switches, permissions, condition sets, API URLs),
// what the user may do, and the client-side state of each row (its open tool, its condition
// form's choice, its preview and its history).
//
// And the panel's events. Imports point one way only (main -> list -> row -> features ->
// base), so a feature does not call the list: it says what happened with notify(), and
// main.js hands each event to the module that owns the answer. Listeners run at once,
// before notify() returns, so the row is rebuilt when the next line looks for it.
//
//   "switch-stored"      {item, oldKey?, focus?}  the API answered this switch dict (oldKey:
//                        its key before an edit): store it, rebuild its row, and focus the
//                        row's [data-focus=focus] element, or the one focused before
//   "switch-added"       {item}          a new switch: store it, clearing a search that hides it
//   "switch-deleted"     {key}           the switch is gone: drop it and its row
//   "switches-loaded"    {switches, conditionSets}  the whole list afresh: rebuild every row
//   "row-changed"        {key, focus?}   a row's own state changed (state.open, a history
//                        arrived...): rebuild it
//   "toggle-tool"        {key, name}     open the row's tool box name, or close it if open
//   "set-query"          {query}         search for query (the box, the list and the URL)
//   "set-order"          {order}         sort by order ("label", "-modified"...)
//   "set-filter"         {filter}        show only switches of one kind ("global", "attention"...)
//   "selection-changed"  {}              the rows chosen for a bulk status change changed
//   "open-switch-dialog" {key, opener}   edit the switch key, or add one (key null)

import { uid } from "./dom.js";

export const events = new EventTarget();

/** Tell the panel that ``name`` happened (see the list above). */
export function notify(name, detail = {}) {
  events.dispatchEvent(new CustomEvent(name, { detail }));
}

export const STATUS = { DISABLED: 1, SELECTIVE: 2, GLOBAL: 3, INHERIT: 4 };
export const TOGGLES = [
  [STATUS.INHERIT, "statusInherit"],
  [STATUS.GLOBAL, "statusGlobal"],
  [STATUS.SELECTIVE, "statusSelective"],
  [STATUS.DISABLED, "statusDisabled"],
];
export const DEFAULT_ORDER = "-modified";

/** The page's data, as the view wrote it into #gargoyle-data (see loadPageData). */
export const data = { switches: [], conditionSets: [], permissions: {}, urls: {} };
export const can = { view: true, add: false, change: false, delete: false, setGlobal: false };

export const state = {
  switches: new Map(), // key -> switch dict, as the API answers it
  rows: new Map(), // key -> <li>
  ids: new Map(), // key -> a stable id prefix for the row's elements
  order: DEFAULT_ORDER,
  query: "",
  filter: "", // "" (all) or a key of FILTERS in search.js
  selected: new Map(), // key -> true: the rows chosen for a bulk status change
  open: new Map(), // key -> "condition" | "preview" | "rollout" | "schedule" | "history"
  choice: new Map(), // key -> the chosen "conditionSetId\u0000field" of its condition form
  modes: new Map(), // key -> "include" | "exclude": its condition form's choice, kept until changed
  previews: new Map(), // key -> { username, ip, result }
  counts: new Map(), // key -> { signature, result } of its audience count, or { signature, error }
  histories: new Map(), // key -> list of changes, or an Error
  schedules: new Map(), // key -> list of its scheduled changes, or an Error
  rollouts: new Map(), // key -> { rollout, past } of its rollouts, or an Error
  conditionFields: new Map(), // "conditionSetId\u0000field" -> { set, field }
};

// The per-row maps a rename carries over to the new key, and forgetting a switch clears.
const ROW_STATE = [
  state.rows,
  state.open,
  state.choice,
  state.modes,
  state.previews,
  state.histories,
  state.schedules,
  state.rollouts,
  state.counts,
  state.selected,
];

export function loadPageData(pageData) {
  Object.assign(data, pageData);
  Object.assign(can, pageData.permissions);
  indexConditionSets();
}

export function indexConditionSets() {
  state.conditionFields.clear();
  for (const set of data.conditionSets || []) {
    for (const field of set.fields || []) state.conditionFields.set(fieldId(set.id, field.name), { set, field });
  }
}

export function fieldId(setId, fieldName) {
  return `${setId}\u0000${fieldName}`;
}

export function setSwitches(switches) {
  state.switches = new Map(switches.map((item) => [item.key, item]));
  for (const key of Array.from(state.rows.keys())) {
    if (!state.switches.has(key)) forget(key);
  }
}

/** Drop a switch's row and its state (not the switch itself). */
export function forget(key) {
  const row = state.rows.get(key);
  if (row) row.remove();
  for (const map of ROW_STATE) map.delete(key);
}

/** After a rename: the row and its state follow the switch to its new key. */
export function renameSwitch(oldKey, newKey) {
  for (const map of [...ROW_STATE, state.ids]) {
    if (map.has(oldKey)) {
      map.set(newKey, map.get(oldKey));
      map.delete(oldKey);
    }
  }
  state.switches.delete(oldKey);
}

/**
 * The stored switch an Inherit switch ``key`` follows: its nearest ancestor ("a:b" for
 * "a:b:c", else "a"), as the runtime finds it; null when there is none.
 */
export function parentOf(key) {
  let rest = key;
  while (rest.includes(":")) {
    rest = rest.slice(0, rest.lastIndexOf(":"));
    if (state.switches.has(rest)) return rest;
  }
  return null;
}

export function switchLabel(item) {
  return item.label || item.key;
}

/** The id prefix of a switch's row and the elements in it; it survives rebuilds and renames. */
export function rowId(key) {
  if (!state.ids.has(key)) state.ids.set(key, uid("switch"));
  return state.ids.get(key);
}
