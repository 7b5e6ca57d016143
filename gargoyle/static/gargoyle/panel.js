// The gargoyle switch panel: list, search, sort, toggle, edit, target, preview and roll back
// switches through the JSON API mounted under the admin.
//
// Plain ES module, no dependencies. Every text that comes from the server (labels, keys,
// descriptions, conditions, messages) goes into the page through textContent or attribute
// values, never as markup, and nothing is evaluated: the page runs under a strict CSP.

const STATUS = { DISABLED: 1, SELECTIVE: 2, GLOBAL: 3, INHERIT: 4 };
const TOGGLES = [
  [STATUS.INHERIT, "statusInherit"],
  [STATUS.GLOBAL, "statusGlobal"],
  [STATUS.SELECTIVE, "statusSelective"],
  [STATUS.DISABLED, "statusDisabled"],
];
const SORTS = {
  created: (a, b) => compareDates(a.date_created, b.date_created),
  modified: (a, b) => compareDates(a.date_modified, b.date_modified),
  label: (a, b) => collator.compare(a.label || a.key, b.label || b.key) || collator.compare(a.key, b.key),
};
const DEFAULT_ORDER = "-modified";

const collator = new Intl.Collator(document.documentElement.lang || undefined, { sensitivity: "base", numeric: true });
const data = JSON.parse(document.getElementById("gargoyle-data").textContent);
const TEXT = readText();
const can = Object.assign({ view: true, add: false, change: false, delete: false, setGlobal: false }, data.permissions);

const dom = {
  panel: document.getElementById("content-main"),
  list: document.getElementById("gargoyle-switches"),
  search: document.getElementById("gargoyle-search"),
  count: document.getElementById("gargoyle-count"),
  live: document.getElementById("gargoyle-live"),
  empty: document.getElementById("gargoyle-empty"),
  noMatch: document.getElementById("gargoyle-no-match"),
  noMatchText: document.getElementById("gargoyle-no-match-text"),
  clearSearch: document.getElementById("gargoyle-clear-search"),
  add: document.getElementById("gargoyle-add"),
  addFirst: document.getElementById("gargoyle-add-first"),
  sortButtons: Array.from(document.querySelectorAll(".gargoyle-sort-button")),
  switchDialog: document.getElementById("gargoyle-switch-dialog"),
  switchForm: document.getElementById("gargoyle-switch-form"),
  switchTitle: document.getElementById("gargoyle-switch-dialog-title"),
  switchSubmit: document.getElementById("gargoyle-switch-submit"),
  switchError: document.getElementById("gargoyle-switch-error"),
  confirmDialog: document.getElementById("gargoyle-confirm-dialog"),
  confirmForm: document.getElementById("gargoyle-confirm-form"),
  confirmTitle: document.getElementById("gargoyle-confirm-title"),
  confirmMessage: document.getElementById("gargoyle-confirm-message"),
  confirmOk: document.getElementById("gargoyle-confirm-ok"),
  confirmError: document.getElementById("gargoyle-confirm-error"),
};

const state = {
  switches: new Map(), // key -> switch dict, as the API answers it
  rows: new Map(), // key -> <li>
  ids: new Map(), // key -> a stable id prefix for the row's elements
  order: DEFAULT_ORDER,
  query: "",
  open: new Map(), // key -> "condition" | "preview" | "history"
  choice: new Map(), // key -> the chosen "conditionSetId\u0000field" of its condition form
  previews: new Map(), // key -> { username, ip, result }
  histories: new Map(), // key -> list of changes, or an Error
  conditionFields: new Map(), // "conditionSetId\u0000field" -> { set, field }
};
let nextId = 0;

// -- text ------------------------------------------------------------------------------------

function readText() {
  const text = {};
  for (const node of document.querySelectorAll("#gargoyle-text [data-text]")) {
    text[node.dataset.text] = node.textContent.trim().replace(/\s+/g, " ");
  }
  return text;
}

/** The translated text ``key`` with its {placeholders} filled in (as plain text). */
function t(key, params = {}) {
  const template = Object.hasOwn(TEXT, key) ? TEXT[key] : key;
  return template.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(params, name) ? String(params[name]) : match));
}

function compareDates(a, b) {
  return (Date.parse(a) || 0) - (Date.parse(b) || 0);
}

// -- DOM helpers -----------------------------------------------------------------------------

/**
 * Build an element. ``props``: ``class``, ``text`` (textContent), ``on`` ({event: handler}),
 * ``data`` (dataset), any other key is set as an attribute (true -> "", false/null -> absent).
 * Children are nodes or strings (appended as text, never parsed).
 */
function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "on") for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    else if (name === "data") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function uid(prefix = "g") {
  nextId += 1;
  return `gargoyle-${prefix}-${nextId}`;
}

function rowId(key) {
  if (!state.ids.has(key)) state.ids.set(key, uid("switch"));
  return state.ids.get(key);
}

let announceTimer = null;

/** Say ``message`` in the live region (screen readers read it; everyone sees it). */
function announce(message, kind = "success") {
  clearTimeout(announceTimer);
  dom.live.textContent = "";
  dom.live.className = `gargoyle-live gargoyle-live-${kind}`;
  // A fresh text node after a tick, so the same message twice is announced twice.
  window.setTimeout(() => {
    dom.live.textContent = message;
  }, 30);
  announceTimer = window.setTimeout(() => {
    dom.live.textContent = "";
    dom.live.className = "gargoyle-live";
  }, 8000);
}

function showError(element, message) {
  element.textContent = message || "";
  element.hidden = !message;
}

// -- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;
  }
}

function csrfToken() {
  const input = document.querySelector("#gargoyle-csrf input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** Call the endpoint ``name`` of ``data.urls``; resolve to the reply's data, reject with an ApiError. */
async function api(name, { method = "GET", params = null, body = null } = {}) {
  const url = new URL(data.urls[name], window.location.href);
  if (params) for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
  };
  if (method !== "GET") {
    init.headers["X-CSRFToken"] = csrfToken();
    init.body = new URLSearchParams(body || {});
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(t("errorNetwork"));
  }
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) {
    // The admin answers a lapsed session with its login page.
    if (response.redirected || response.status === 401 || response.status === 302) {
      throw new ApiError(t("errorSession"), 401);
    }
    throw new ApiError(t("errorServer", { status: response.status }), response.status);
  }
  let payload;
  try {
    payload = await response.json();
  } catch {
    throw new ApiError(t("errorServer", { status: response.status }), response.status);
  }
  if (!response.ok || !payload || payload.success === false) {
    const message = payload && typeof payload.data === "string" ? payload.data : "";
    throw new ApiError(message || t("errorServer", { status: response.status }), response.status);
  }
  return payload.data;
}

// -- data ------------------------------------------------------------------------------------

function indexConditionSets() {
  state.conditionFields.clear();
  for (const set of data.conditionSets || []) {
    for (const field of set.fields || []) state.conditionFields.set(fieldId(set.id, field.name), { set, field });
  }
}

function fieldId(setId, fieldName) {
  return `${setId}\u0000${fieldName}`;
}

function setSwitches(switches) {
  state.switches = new Map(switches.map((item) => [item.key, item]));
  for (const key of Array.from(state.rows.keys())) {
    if (!state.switches.has(key)) forget(key);
  }
}

function forget(key) {
  const row = state.rows.get(key);
  if (row) row.remove();
  for (const map of [state.rows, state.open, state.choice, state.previews, state.histories]) map.delete(key);
}

function switchLabel(item) {
  return item.label || item.key;
}

// -- the list --------------------------------------------------------------------------------

function matches(item, words) {
  if (!words.length) return true;
  const haystack = [item.key, item.label, item.description].filter(Boolean).join("\n").toLocaleLowerCase();
  return words.every((word) => haystack.includes(word));
}

function visibleSwitches() {
  const words = state.query.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const descending = state.order.startsWith("-");
  const compare = SORTS[state.order.replace(/^-/, "")] || SORTS.modified;
  return Array.from(state.switches.values())
    .filter((item) => matches(item, words))
    .sort((a, b) => (descending ? -compare(a, b) : compare(a, b)) || collator.compare(a.key, b.key));
}

/**
 * Show the rows that match the search, in order; build the ones not built yet.
 *
 * Only searching, sorting, adding and reloading reorder the list: a row that was just
 * edited stays where it is, so the next click does not land on a row that moved there.
 */
function renderList() {
  const active = document.activeElement;
  const visible = visibleSwitches();
  const wanted = new Set(visible.map((item) => item.key));
  for (const [key, row] of state.rows) {
    if (!wanted.has(key)) row.hidden = true;
  }
  let previous = null;
  for (const item of visible) {
    let row = state.rows.get(item.key);
    if (!row) {
      row = buildRow(item);
      state.rows.set(item.key, row);
    }
    row.hidden = false;
    const expected = previous ? previous.nextElementSibling : dom.list.firstElementChild;
    if (expected !== row) dom.list.insertBefore(row, expected);
    previous = row;
  }
  // Moving a row drops the focus inside it: put it back.
  if (active && active !== document.activeElement && active.isConnected && !active.closest("[hidden]")) active.focus();
  renderCounts(visible.length);
  renderSortButtons();
}

function renderCounts(shown) {
  const total = state.switches.size;
  dom.empty.hidden = total !== 0;
  dom.noMatch.hidden = total === 0 || shown !== 0;
  dom.list.hidden = shown === 0;
  if (total === 0) {
    dom.count.textContent = "";
  } else if (state.query.trim()) {
    dom.count.textContent = t(shown === 1 ? "countMatchOne" : "countMatch", { shown, total });
    dom.noMatchText.textContent = t("noMatch", { query: state.query.trim() });
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
function refreshRow(key, focusName = null) {
  const item = state.switches.get(key);
  const old = state.rows.get(key);
  const focused = old && old.contains(document.activeElement) ? document.activeElement.dataset.focus : null;
  if (!item) {
    forget(key);
    renderList();
    return;
  }
  const row = buildRow(item);
  state.rows.set(key, row);
  if (old) {
    row.hidden = old.hidden;
    old.replaceWith(row); // in place: see renderList
    renderCounts(visibleSwitches().length);
  } else {
    renderList();
  }
  const target = focusName || focused;
  if (target) (row.querySelector(`[data-focus="${CSS.escape(target)}"]`) || row.querySelector("[data-focus]"))?.focus();
}

/** Put a switch dict the API returned into the list (``oldKey``: its key before a rename). */
function storeSwitch(item, oldKey = null, focusName = null) {
  if (oldKey && oldKey !== item.key) {
    const row = state.rows.get(oldKey);
    for (const map of [state.rows, state.open, state.choice, state.previews, state.histories, state.ids]) {
      if (map.has(oldKey)) {
        map.set(item.key, map.get(oldKey));
        map.delete(oldKey);
      }
    }
    state.switches.delete(oldKey);
    if (row) state.rows.set(item.key, row);
  }
  state.switches.set(item.key, item);
  // The history and a preview's verdict are stale now.
  state.histories.delete(item.key);
  const preview = state.previews.get(item.key);
  if (preview) preview.result = null;
  refreshRow(item.key, focusName);
  if (state.open.get(item.key) === "history") loadHistory(item.key);
}

// -- one row ---------------------------------------------------------------------------------

function buildRow(item) {
  const id = rowId(item.key);
  const label = switchLabel(item);
  const open = state.open.get(item.key);
  const row = h("li", { class: `gargoyle-switch gargoyle-status-${item.status}`, id, data: { key: item.key } });
  const article = h("article", { class: "gargoyle-switch-body", "aria-labelledby": `${id}-label` });
  row.append(article);

  const identity = h(
    "div",
    { class: "gargoyle-identity" },
    h(
      "h2",
      { class: "gargoyle-label", id: `${id}-label` },
      h("span", { class: "gargoyle-label-text", text: label }),
      " ",
      h("code", { class: "gargoyle-key", text: item.key }),
    ),
    buildModified(item),
    item.problem
      ? h("p", { class: "gargoyle-problem" }, h("span", { class: "gargoyle-badge gargoyle-badge-problem", text: t("problem") }), " ", item.problem)
      : null,
    item.description ? h("p", { class: "gargoyle-description", text: item.description }) : null,
  );

  const status = h("div", { class: "gargoyle-status" }, buildToggles(item, label), buildEffective(item));
  const actions = h("div", { class: "gargoyle-actions" });
  if (can.change) {
    actions.append(
      h("button", {
        type: "button",
        class: "gargoyle-icon-button gargoyle-edit",
        data: { focus: "edit" },
        "aria-label": t("editSwitch", { label }),
        title: t("edit"),
        on: { click: (event) => openSwitchDialog(item.key, event.currentTarget) },
      }, h("span", { class: "gargoyle-icon gargoyle-icon-edit", "aria-hidden": "true" })),
    );
  }
  if (can.delete) {
    actions.append(
      h("button", {
        type: "button",
        class: "gargoyle-icon-button gargoyle-delete",
        data: { focus: "delete" },
        "aria-label": t("deleteSwitch", { label }),
        title: t("delete"),
        on: { click: (event) => confirmDelete(item.key, event.currentTarget) },
      }, h("span", { class: "gargoyle-icon gargoyle-icon-delete", "aria-hidden": "true" })),
    );
  }

  article.append(h("div", { class: "gargoyle-switch-head" }, identity, status, actions));
  const conditions = buildConditions(item, label);
  if (conditions) article.append(conditions);

  const tools = h("div", { class: "gargoyle-tools" });
  const panels = [];
  if (can.change) panels.push(["condition", "addCondition"]);
  panels.push(["preview", "preview"], ["history", "history"]);
  for (const [name, textKey] of panels) {
    tools.append(
      h("button", {
        type: "button",
        class: "gargoyle-tool",
        data: { focus: `tool-${name}` },
        "aria-expanded": String(open === name),
        "aria-controls": open === name ? `${id}-panel` : null,
        on: { click: () => togglePanel(item.key, name) },
      }, t(textKey)),
    );
  }
  article.append(tools);
  if (open) article.append(buildPanel(item, open, id));
  return row;
}

function buildModified(item) {
  const when = item.date_modified ? new Date(item.date_modified) : null;
  if (!when || Number.isNaN(when.getTime())) return null;
  return h(
    "p",
    { class: "gargoyle-modified" },
    t("lastModified"),
    " ",
    h("time", { datetime: item.date_modified, title: formatDate(when) }, relativeTime(when)),
  );
}

function buildToggles(item, label) {
  const group = h("div", { class: "gargoyle-toggles", role: "group", "aria-label": t("statusOf", { label }) });
  for (const [status, textKey] of TOGGLES) {
    const pressed = item.status === status;
    const forbidden = !can.change || (status === STATUS.GLOBAL && !can.setGlobal && !pressed);
    if (!can.change) {
      // Read only: the status shows, nothing to press.
      if (pressed) group.append(h("span", { class: "gargoyle-toggle gargoyle-toggle-readonly", "aria-current": "true", text: t(textKey) }));
      continue;
    }
    group.append(
      h("button", {
        type: "button",
        class: `gargoyle-toggle gargoyle-toggle-${status}`,
        "aria-pressed": String(pressed),
        disabled: forbidden,
        title: forbidden ? t("noGlobalPermission") : null,
        data: { focus: `status-${status}`, status: String(status) },
        on: { click: () => changeStatus(item.key, status) },
      }, t(textKey)),
    );
  }
  return group;
}

function effectiveKind(item) {
  if (item.problem && item.status === STATUS.SELECTIVE) return "problem";
  if (item.status === STATUS.GLOBAL) return "on";
  if (item.status === STATUS.DISABLED) return "off";
  if (item.status === STATUS.INHERIT) return "inherit";
  const hasConditions = (item.conditions || []).some((group) => group.conditions.length);
  return hasConditions ? "some" : "off";
}

function buildEffective(item) {
  const kind = effectiveKind(item);
  return h(
    "p",
    { class: `gargoyle-effective gargoyle-effective-${kind}` },
    h("span", { class: "gargoyle-dot", "aria-hidden": "true" }),
    // A switch whose stored conditions cannot be used evaluates as the caller's default.
    kind === "problem" && item.status === STATUS.SELECTIVE ? t("problemEffect") : item.statusLabel || "",
  );
}

function buildConditions(item, label) {
  const groups = (item.conditions || []).filter((group) => group.conditions.length);
  if (!groups.length) {
    if (item.status !== STATUS.SELECTIVE || item.problem) return null;
    return h("p", { class: "gargoyle-no-conditions", text: t("noConditions") });
  }
  const list = h("dl", { class: "gargoyle-conditions", "aria-label": t("conditionsOf", { label }) });
  for (const group of groups) {
    const chips = h("ul", { class: "gargoyle-chips" });
    group.conditions.forEach(([fieldName, condition, display, exclude], index) => {
      const modeText = exclude ? t("exclude") : t("include");
      const described = `${modeText}: ${group.label} ${display}`;
      const chip = h(
        "li",
        { class: `gargoyle-chip gargoyle-chip-${exclude ? "exclude" : "include"}` },
        exclude ? h("span", { class: "gargoyle-chip-mode", "aria-hidden": "true", title: t("excludeHelp"), text: t("not") }) : null,
        h("span", { class: "gargoyle-sr-only", text: `${modeText}: ` }),
        h("span", { class: "gargoyle-chip-text", text: display }),
      );
      if (can.change) {
        chip.append(
          h("button", {
            type: "button",
            class: "gargoyle-chip-remove",
            "aria-label": t("removeCondition", { condition: described }),
            title: t("remove"),
            data: { focus: `chip-${group.id}-${index}` },
            on: { click: () => removeCondition(item.key, group.id, fieldName, condition, described) },
          }, h("span", { "aria-hidden": "true", text: "×" })),
        );
      }
      chips.append(chip);
    });
    list.append(h("div", { class: "gargoyle-condition-group" }, h("dt", { text: group.label }), h("dd", {}, chips)));
  }
  return list;
}

function buildPanel(item, name, id) {
  const builders = { condition: buildConditionForm, preview: buildPreview, history: buildHistory };
  const panel = h("section", { class: `gargoyle-panel-box gargoyle-panel-${name}`, id: `${id}-panel`, "aria-labelledby": `${id}-panel-title` });
  builders[name](item, panel, id);
  return panel;
}

function togglePanel(key, name) {
  const opening = state.open.get(key) !== name;
  if (opening) state.open.set(key, name);
  else state.open.delete(key);
  refreshRow(key, `tool-${name}`);
  if (opening) {
    const row = state.rows.get(key);
    row.querySelector(".gargoyle-panel-box [data-autofocus]")?.focus();
    if (name === "history") loadHistory(key);
  }
}

// -- status ----------------------------------------------------------------------------------

const pending = new Set(); // keys whose status change is on the way

async function changeStatus(key, status) {
  const item = state.switches.get(key);
  if (!item || item.status === status || pending.has(key)) return;
  const label = switchLabel(item);
  const statusText = t(TOGGLES.find(([value]) => value === status)[1]);
  const send = async () => {
    pending.add(key);
    try {
      const updated = await api("status", { method: "POST", body: { key, status } });
      storeSwitch(updated, null, `status-${status}`);
      announce(t("statusChanged", { label, status: statusText, effect: updated.statusLabel || "" }));
    } finally {
      pending.delete(key);
    }
  };
  if (status === STATUS.GLOBAL) {
    const opener = document.activeElement;
    await confirmAction({
      title: t("globalTitle", { label }),
      message: t("globalMessage", { label, key }),
      confirm: t("globalConfirm"),
      opener,
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

// -- add / edit / delete ---------------------------------------------------------------------

let dialogOpener = null;
let editingKey = null;
let keyTouched = false;

function openDialog(dialog, opener) {
  dialogOpener = opener || document.activeElement;
  dialog.showModal();
}

/** Where focus goes back when a dialog closes: the opener, or its successor if its row was rebuilt. */
function restoreFocus() {
  let target = dialogOpener;
  if (target && !target.isConnected) {
    const key = target.closest(".gargoyle-switch")?.dataset.key;
    const row = key === undefined ? null : state.rows.get(key);
    target = row && target.dataset.focus ? row.querySelector(`[data-focus="${CSS.escape(target.dataset.focus)}"]`) : null;
  }
  dialogOpener = null;
  (target || dom.search).focus();
}

function openSwitchDialog(key, opener) {
  editingKey = key;
  const item = key ? state.switches.get(key) : null;
  const form = dom.switchForm;
  const mode = item ? "edit" : "add";
  dom.switchTitle.textContent = dom.switchTitle.dataset[mode];
  dom.switchSubmit.textContent = dom.switchSubmit.dataset[mode];
  form.elements.name.value = item ? item.storedLabel || "" : "";
  form.elements.key.value = item ? item.key : "";
  form.elements.desc.value = item ? item.description || "" : "";
  keyTouched = Boolean(item);
  clearFieldErrors(form);
  showError(dom.switchError, "");
  openDialog(dom.switchDialog, opener);
  form.elements.name.focus();
}

function slugify(text) {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9:]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
}

function clearFieldErrors(form) {
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

/** Mark the input a message names ("key: ...") invalid, and focus it. */
function markFieldError(form, message) {
  const match = /^\s*([\w[\]]+)\s*:/.exec(message || "");
  const aliases = { label: "name", description: "desc", curkey: "key" };
  const name = match ? aliases[match[1]] || match[1] : null;
  const input = name ? form.querySelector(`[name="${CSS.escape(name)}"]`) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  return input;
}

async function submitSwitchForm(event) {
  event.preventDefault();
  const form = dom.switchForm;
  clearFieldErrors(form);
  const key = form.elements.key.value.trim();
  if (!key) {
    showError(dom.switchError, t("keyRequired"));
    markFieldError(form, "key:");
    return;
  }
  const body = { key, name: form.elements.name.value.trim(), desc: form.elements.desc.value };
  const oldKey = editingKey;
  dom.switchSubmit.disabled = true;
  try {
    let item;
    if (oldKey) {
      item = await api("update", { method: "POST", body: { ...body, curkey: oldKey } });
    } else {
      item = await api("add", { method: "POST", body });
    }
    // The row first, then the dialog closes and its "close" handler focuses ``dialogOpener``.
    if (oldKey) {
      storeSwitch(item, oldKey);
      dialogOpener = state.rows.get(item.key)?.querySelector('[data-focus="edit"]') || null;
      announce(t("switchSaved", { label: switchLabel(item) }));
    } else {
      if (state.query && !matches(item, state.query.toLocaleLowerCase().split(/\s+/).filter(Boolean))) {
        setQuery("");
      }
      storeSwitch(item);
      const row = state.rows.get(item.key);
      dialogOpener = row?.querySelector('[data-focus^="status-"]') || row?.querySelector("[data-focus]") || null;
      row?.scrollIntoView({ block: "nearest" });
      announce(t("switchAdded", { label: switchLabel(item), key: item.key }));
    }
    dom.switchDialog.close();
  } catch (error) {
    showError(dom.switchError, error.message);
    markFieldError(form, error.message);
  } finally {
    dom.switchSubmit.disabled = false;
  }
}

function confirmDelete(key, opener) {
  const item = state.switches.get(key);
  if (!item) return;
  const label = switchLabel(item);
  confirmAction({
    title: t("deleteTitle", { label }),
    message: t("deleteMessage", { label, key }),
    confirm: t("deleteConfirm"),
    danger: true,
    opener,
    action: async () => {
      const fallback = nextFocusAfterRemoving(key);
      await api("delete", { method: "POST", body: { key } });
      state.switches.delete(key);
      forget(key);
      renderList();
      dialogOpener = fallback;
      announce(t("switchDeleted", { label, key }));
    },
  });
}

function nextFocusAfterRemoving(key) {
  const row = state.rows.get(key);
  let sibling = row?.nextElementSibling;
  while (sibling && sibling.hidden) sibling = sibling.nextElementSibling;
  if (!sibling) {
    sibling = row?.previousElementSibling;
    while (sibling && sibling.hidden) sibling = sibling.previousElementSibling;
  }
  return sibling?.querySelector("[data-focus]") || (can.add ? dom.add : dom.search);
}

let confirmState = null;

/** Ask in the confirm dialog; on "yes" run ``action`` there, showing its error if it fails. */
function confirmAction({ title, message, confirm, danger = false, opener = null, action }) {
  return new Promise((resolve) => {
    confirmState = { action, resolve };
    dom.confirmTitle.textContent = title;
    dom.confirmMessage.textContent = message;
    dom.confirmOk.textContent = confirm;
    dom.confirmOk.classList.toggle("gargoyle-danger", danger);
    dom.confirmOk.disabled = false;
    showError(dom.confirmError, "");
    openDialog(dom.confirmDialog, opener);
    // The safe choice has the focus: Enter does not confirm by accident.
    document.getElementById("gargoyle-confirm-cancel").focus();
  });
}

async function submitConfirm(event) {
  event.preventDefault();
  const choice = event.submitter ? event.submitter.value : "confirm";
  if (!confirmState) return;
  if (choice !== "confirm") {
    dom.confirmDialog.close();
    return;
  }
  dom.confirmOk.disabled = true;
  try {
    await confirmState.action();
    const { resolve } = confirmState;
    confirmState = null;
    dom.confirmDialog.close();
    resolve(true);
  } catch (error) {
    showError(dom.confirmError, error.message);
    dom.confirmOk.disabled = false;
  }
}

// -- conditions ------------------------------------------------------------------------------

function buildConditionForm(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("addConditionTo", { label }) }));
  const form = h("form", { class: "gargoyle-condition-form", novalidate: true });
  const selectId = `${id}-field`;
  const select = h("select", { id: selectId, name: "condition", "data-autofocus": true, data: { focus: "condition-field" } });
  for (const set of data.conditionSets || []) {
    const group = h("optgroup", { label: set.label });
    for (const field of set.fields || []) {
      group.append(h("option", { value: fieldId(set.id, field.name), text: `${set.label}: ${field.label}` }));
    }
    if (group.childElementCount) select.append(group);
  }
  if (state.choice.has(item.key)) select.value = state.choice.get(item.key);
  const inputs = h("div", { class: "gargoyle-condition-inputs" });
  const help = h("p", { class: "help gargoyle-condition-help", id: `${id}-help` });
  const exclude = h("input", { type: "checkbox", id: `${id}-exclude`, name: "exclude", value: "1", data: { focus: "condition-exclude" } });
  const error = h("p", { class: "errornote gargoyle-inline-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button default", data: { focus: "condition-submit" } }, t("addConditionButton"));

  const update = () => {
    state.choice.set(item.key, select.value);
    const chosen = state.conditionFields.get(select.value);
    inputs.replaceChildren(...(chosen ? buildFieldInputs(chosen.field, id) : []));
    help.textContent = chosen?.field.help || "";
    help.hidden = !help.textContent;
    showError(error, "");
  };
  select.addEventListener("change", update);
  update();

  form.append(
    h("div", { class: "gargoyle-condition-row" },
      h("div", { class: "gargoyle-condition-choice" }, h("label", { for: selectId, text: t("condition") }), select),
      inputs,
    ),
    help,
    h("div", { class: "gargoyle-condition-row gargoyle-condition-mode" },
      h("label", { class: "gargoyle-checkbox", for: `${id}-exclude` }, exclude, " ", t("excludeLabel")),
      h("span", { class: "help", text: t("excludeExplained") }),
    ),
    error,
    h("div", { class: "gargoyle-form-buttons" },
      submit,
      h("button", { type: "button", class: "button gargoyle-button-secondary", data: { focus: "condition-cancel" }, on: { click: () => togglePanel(item.key, "condition") } }, t("cancel")),
    ),
  );
  form.addEventListener("submit", (event) => submitCondition(event, item.key, form, select, exclude, error, submit));
  panel.append(form);
}

/** The inputs of one field type, named as the API expects them. */
function buildFieldInputs(field, id) {
  const name = field.name;
  const inputId = `${id}-value`;
  switch (field.type) {
    case "percent":
    case "range": {
      const percent = field.type === "percent";
      const number = (suffix, textKey) =>
        h("div", { class: "gargoyle-range-part" },
          h("label", { for: `${inputId}-${suffix}`, text: t(textKey) }),
          h("input", {
            type: "number",
            id: `${inputId}-${suffix}`,
            name: `${name}[${suffix}]`,
            class: "gargoyle-number",
            inputmode: "decimal",
            step: percent ? "0.01" : "1",
            min: percent ? "0" : null,
            max: percent ? "100" : null,
            required: true,
            "aria-describedby": `${id}-help`,
          }),
          percent ? h("span", { class: "gargoyle-unit", "aria-hidden": "true", text: "%" }) : null,
        );
      return [number("min", "from"), number("max", "to")];
    }
    case "boolean":
      return [h("p", { class: "gargoyle-boolean-note", text: t("booleanNote", { field: field.label }) })];
    case "choice": {
      const select = h("select", { id: inputId, name, required: true, "aria-describedby": `${id}-help` });
      for (const choice of field.choices || []) {
        const { value, label } = choice && typeof choice === "object" ? choice : { value: choice, label: choice };
        select.append(h("option", { value: String(value), text: String(label) }));
      }
      return [h("div", { class: "gargoyle-value" }, h("label", { for: inputId, text: t("value") }), select)];
    }
    case "date":
      return [h("div", { class: "gargoyle-value" },
        h("label", { for: inputId, text: t("date") }),
        h("input", { type: "date", id: inputId, name, required: true, "aria-describedby": `${id}-help` }))];
    default:
      return [h("div", { class: "gargoyle-value" },
        h("label", { for: inputId, text: field.label }),
        h("input", { type: "text", id: inputId, name, required: true, autocomplete: "off", spellcheck: "false", "aria-describedby": `${id}-help` }))];
  }
}

async function submitCondition(event, key, form, select, exclude, error, submit) {
  event.preventDefault();
  const chosen = state.conditionFields.get(select.value);
  if (!chosen) return;
  clearFieldErrors(form);
  const body = { key, id: chosen.set.id, field: chosen.field.name, exclude: exclude.checked ? "1" : "0" };
  for (const input of form.querySelectorAll(".gargoyle-condition-inputs [name]")) {
    if (input.type === "number" && input.validity.badInput) {
      showError(error, t("notANumber", { field: chosen.field.label }));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    body[input.name] = input.value.trim();
  }
  submit.disabled = true;
  try {
    const updated = await api("addCondition", { method: "POST", body });
    state.choice.set(key, select.value);
    storeSwitch(updated, null, "condition-field");
    announce(t("conditionAdded", { label: switchLabel(updated), condition: `${chosen.set.label}: ${chosen.field.label}` }));
  } catch (failure) {
    showError(error, failure.message);
    const invalid = form.querySelector(".gargoyle-condition-inputs [name]");
    if (invalid) {
      invalid.setAttribute("aria-invalid", "true");
      invalid.focus();
    }
  } finally {
    submit.disabled = false;
  }
}

async function removeCondition(key, setId, fieldName, condition, described) {
  const item = state.switches.get(key);
  if (!item) return;
  try {
    const updated = await api("removeCondition", { method: "POST", body: { key, id: setId, field: fieldName, value: condition } });
    storeSwitch(updated);
    const row = state.rows.get(key);
    // The removed chip's button is gone: focus the next chip's, or the row's tools.
    (row.querySelector(".gargoyle-chip-remove") || row.querySelector('[data-focus^="tool-"]'))?.focus();
    announce(t("conditionRemoved", { label: switchLabel(updated), condition: described }));
  } catch (error) {
    announce(error.message, "error");
  }
}

// -- preview ---------------------------------------------------------------------------------

function buildPreview(item, panel, id) {
  const label = switchLabel(item);
  const saved = state.previews.get(item.key) || { username: "", ip: "", result: null };
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("previewTitle", { label }) }));
  const username = h("input", { type: "text", id: `${id}-username`, name: "username", value: saved.username, autocomplete: "off", spellcheck: "false", "data-autofocus": true, data: { focus: "preview-username" } });
  const ip = h("input", { type: "text", id: `${id}-ip`, name: "ip", value: saved.ip, autocomplete: "off", spellcheck: "false", inputmode: "decimal", placeholder: "203.0.113.7", data: { focus: "preview-ip" } });
  const result = h("div", { class: "gargoyle-preview-result", role: "status", "aria-live": "polite" });
  const error = h("p", { class: "errornote gargoyle-inline-error", role: "alert", hidden: true });
  if (saved.result) renderVerdict(result, saved.result);
  const form = h("form", { class: "gargoyle-preview-form", novalidate: true },
    h("p", { class: "help", text: t("previewHelp") }),
    h("div", { class: "gargoyle-preview-inputs" },
      h("div", { class: "gargoyle-value" }, h("label", { for: `${id}-username`, text: t("username") }), username),
      h("div", { class: "gargoyle-value" }, h("label", { for: `${id}-ip`, text: t("ipAddress") }), ip),
      h("button", { type: "submit", class: "button default", data: { focus: "preview-submit" } }, t("check")),
    ),
    error,
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    clearFieldErrors(form);
    const asked = { username: username.value.trim(), ip: ip.value.trim() };
    try {
      const verdict = await api("preview", { params: { key: item.key, ...asked } });
      state.previews.set(item.key, { ...asked, result: verdict });
      renderVerdict(result, verdict);
    } catch (failure) {
      result.replaceChildren();
      showError(error, failure.message);
      markFieldError(form, failure.message);
    }
  });
  panel.append(form);
}

function renderVerdict(element, verdict) {
  element.replaceChildren(
    h("strong", { class: `gargoyle-verdict gargoyle-verdict-${verdict.active ? "on" : "off"}`, text: verdict.active ? t("verdictOn") : t("verdictOff") }),
    " ",
    h("span", { class: "gargoyle-verdict-reason", text: verdict.reason || "" }),
  );
}

// -- history ---------------------------------------------------------------------------------

function buildHistory(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("historyTitle", { label }) }));
  const changes = state.histories.get(item.key);
  if (changes === undefined) {
    panel.append(h("p", { class: "gargoyle-loading", text: t("loading") }));
    return;
  }
  if (changes instanceof Error) {
    panel.append(h("p", { class: "errornote", role: "alert", text: changes.message }));
    return;
  }
  if (!changes.length) {
    panel.append(h("p", { class: "help", text: t("historyEmpty") }));
    return;
  }
  const table = h("table", { class: "gargoyle-history" },
    h("caption", { class: "gargoyle-sr-only", text: t("historyTitle", { label }) }),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", text: t("when") }),
      h("th", { scope: "col", text: t("who") }),
      h("th", { scope: "col", text: t("what") }),
      can.change ? h("th", { scope: "col", text: t("restore") }) : null,
    )),
  );
  const body = h("tbody");
  for (const change of changes) {
    const date = new Date(change.date);
    const what = h("td", {}, change.summary || "");
    if (change.restoredFrom) what.append(h("span", { class: "gargoyle-restored", text: t("restoredFrom", { id: change.restoredFrom }) }));
    const row = h("tr", { id: `${id}-change-${change.id}` },
      h("td", {}, h("time", { datetime: change.date, title: formatDate(date) }, relativeTime(date))),
      h("td", { text: change.username || t("someone") }),
      what,
    );
    if (can.change) {
      row.append(h("td", { class: "gargoyle-history-actions" },
        h("button", {
          type: "button",
          class: "button gargoyle-small",
          data: { focus: `restore-before-${change.id}` },
          "aria-describedby": `${id}-change-${change.id}`,
          on: { click: (event) => confirmRestore(item.key, change, "before", event.currentTarget) },
        }, t("restoreBefore")),
        h("button", {
          type: "button",
          class: "button gargoyle-small",
          data: { focus: `restore-after-${change.id}` },
          "aria-describedby": `${id}-change-${change.id}`,
          on: { click: (event) => confirmRestore(item.key, change, "after", event.currentTarget) },
        }, t("restoreAfter")),
      ));
    }
    body.append(row);
  }
  table.append(body);
  panel.append(h("div", { class: "gargoyle-history-scroll" }, table));
}

async function loadHistory(key) {
  try {
    const changes = await api("history", { params: { key } });
    state.histories.set(key, changes);
  } catch (error) {
    state.histories.set(key, error);
  }
  if (state.open.get(key) === "history") refreshRow(key);
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
    action: async () => {
      await api("restore", { method: "POST", body: { id: change.id, state: which } });
      await reloadSwitches();
      const restoredKey = target ? target.key : key;
      if (state.switches.has(restoredKey)) {
        state.open.set(restoredKey, "history");
        state.histories.delete(restoredKey);
        refreshRow(restoredKey);
        await loadHistory(restoredKey);
        dialogOpener = state.rows.get(restoredKey)?.querySelector('[data-focus="tool-history"]') || null;
      } else {
        dialogOpener = can.add ? dom.add : dom.search;
      }
      announce(target ? t("restored", { state: describeState(target) }) : t("restoredDeleted", { key }));
    },
  });
}

async function reloadSwitches() {
  const fresh = await api("switches");
  if (fresh.conditionSets) {
    data.conditionSets = fresh.conditionSets;
    indexConditionSets();
  }
  setSwitches(fresh.switches || []);
  for (const key of state.switches.keys()) {
    const old = state.rows.get(key);
    if (old) {
      old.replaceWith(buildRowKeepingHidden(key, old));
    }
  }
  renderList();
}

function buildRowKeepingHidden(key, old) {
  const row = buildRow(state.switches.get(key));
  row.hidden = old.hidden;
  state.rows.set(key, row);
  return row;
}

// -- dates -----------------------------------------------------------------------------------

const relativeFormat = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
const dateFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined, { dateStyle: "medium", timeStyle: "short" });

function formatDate(date) {
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

function relativeTime(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const steps = [
    [60, "second"],
    [60, "minute"],
    [24, "hour"],
    [7, "day"],
    [4.35, "week"],
    [12, "month"],
  ];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) {
      return unit === "second" && Math.abs(value) < 45 ? t("justNow") : relativeFormat.format(Math.round(value), unit);
    }
    value /= size;
  }
  return relativeFormat.format(Math.round(value), "year");
}

// -- search, sort and the URL ----------------------------------------------------------------

function setQuery(query) {
  state.query = query;
  if (dom.search.value !== query) dom.search.value = query;
  renderList();
  saveUrlState();
}

function saveUrlState() {
  const url = new URL(window.location.href);
  if (state.query) url.searchParams.set("q", state.query);
  else url.searchParams.delete("q");
  if (state.order !== DEFAULT_ORDER) url.searchParams.set("o", state.order);
  else url.searchParams.delete("o");
  window.history.replaceState(null, "", url);
}

function readUrlState() {
  const params = new URLSearchParams(window.location.search);
  const order = params.get("o");
  if (order && Object.hasOwn(SORTS, order.replace(/^-/, ""))) state.order = order;
  state.query = params.get("q") || "";
  dom.search.value = state.query;
}

let countTimer = null;

function onSearch() {
  setQuery(dom.search.value);
  clearTimeout(countTimer);
  // The count is announced once typing pauses, not at every key.
  countTimer = window.setTimeout(() => {
    if (state.query.trim()) announce(dom.count.textContent || dom.noMatchText.textContent, "info");
  }, 700);
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

// -- start -----------------------------------------------------------------------------------

function start() {
  indexConditionSets();
  readUrlState();
  setSwitches(data.switches || []);
  dom.add.hidden = !can.add;
  dom.addFirst.hidden = !can.add;
  dom.add.addEventListener("click", (event) => openSwitchDialog(null, event.currentTarget));
  dom.addFirst.addEventListener("click", (event) => openSwitchDialog(null, event.currentTarget));
  dom.search.addEventListener("input", onSearch);
  dom.search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && dom.search.value) {
      event.preventDefault();
      setQuery("");
    }
  });
  dom.clearSearch.addEventListener("click", () => {
    setQuery("");
    dom.search.focus();
  });
  for (const button of dom.sortButtons) button.addEventListener("click", onSort);

  dom.switchForm.addEventListener("submit", submitSwitchForm);
  dom.switchForm.elements.key.addEventListener("input", () => {
    keyTouched = dom.switchForm.elements.key.value !== "";
  });
  dom.switchForm.elements.name.addEventListener("input", () => {
    if (!keyTouched && !editingKey) dom.switchForm.elements.key.value = slugify(dom.switchForm.elements.name.value);
  });
  for (const button of dom.switchDialog.querySelectorAll("[data-close]")) {
    button.addEventListener("click", () => dom.switchDialog.close());
  }
  dom.switchDialog.addEventListener("close", () => restoreFocus());

  dom.confirmForm.addEventListener("submit", submitConfirm);
  dom.confirmDialog.addEventListener("close", () => {
    if (confirmState) {
      confirmState.resolve(false);
      confirmState = null;
    }
    restoreFocus();
  });

  // Relative dates age while the page is open.
  window.setInterval(() => {
    for (const time of dom.list.querySelectorAll("time[datetime]")) {
      time.textContent = relativeTime(new Date(time.getAttribute("datetime")));
    }
  }, 60000);

  renderList();
  dom.panel.removeAttribute("aria-busy");
  dom.panel.classList.add("gargoyle-ready");

  // Django's "Add switch" page leads here with ?add=1.
  const url = new URL(window.location.href);
  if (url.searchParams.has("add")) {
    url.searchParams.delete("add");
    window.history.replaceState(null, "", url);
    if (can.add) openSwitchDialog(null, dom.add);
  }
}

start();
