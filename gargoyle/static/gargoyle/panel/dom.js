// The page's fixed elements, the h() element builder, and the small DOM helpers every part
// shares: ids, the live regions (a toast, and a silent one for screen readers), inline errors
// and invalid fields.
//
// Every text that comes from the server (labels, keys, descriptions, conditions, messages)
// goes into the page through textContent or attribute values, never as markup.

const byId = (id) => document.getElementById(id);

export const dom = {
  panel: byId("content-main"),
  list: byId("gargoyle-switches"),
  search: byId("gargoyle-search"),
  count: byId("gargoyle-count"),
  filter: byId("gargoyle-filter"),
  selectAll: byId("gargoyle-select-all"),
  selectAllBox: byId("gargoyle-select-all-box"),
  bulk: byId("gargoyle-bulk"),
  bulkCount: byId("gargoyle-bulk-count"),
  bulkButtons: Array.from(document.querySelectorAll(".gargoyle-bulk-status")),
  bulkClear: byId("gargoyle-bulk-clear"),
  live: byId("gargoyle-live"),
  status: byId("gargoyle-status"),
  empty: byId("gargoyle-empty"),
  noMatch: byId("gargoyle-no-match"),
  noMatchText: byId("gargoyle-no-match-text"),
  clearSearch: byId("gargoyle-clear-search"),
  add: byId("gargoyle-add"),
  addFirst: byId("gargoyle-add-first"),
  sortButtons: Array.from(document.querySelectorAll(".gargoyle-sort-button")),
  // What orders and narrows a list: nothing to do while there is no switch.
  listTools: Array.from(document.querySelectorAll(".gargoyle-sort, .gargoyle-filter, .gargoyle-search")),
  switchDialog: byId("gargoyle-switch-dialog"),
  switchForm: byId("gargoyle-switch-form"),
  switchTitle: byId("gargoyle-switch-dialog-title"),
  switchSubmit: byId("gargoyle-switch-submit"),
  switchError: byId("gargoyle-switch-error"),
  confirmDialog: byId("gargoyle-confirm-dialog"),
  confirmForm: byId("gargoyle-confirm-form"),
  confirmTitle: byId("gargoyle-confirm-title"),
  confirmMessage: byId("gargoyle-confirm-message"),
  confirmOk: byId("gargoyle-confirm-ok"),
  confirmCancel: byId("gargoyle-confirm-cancel"),
  confirmError: byId("gargoyle-confirm-error"),
};

let nextId = 0;
let announceTimer = null;

/**
 * Build an element. ``props``: ``class``, ``text`` (textContent), ``on`` ({event: handler}),
 * ``data`` (dataset), any other key is set as an attribute (true -> "", false/null -> absent).
 * Children are nodes or strings (appended as text, never parsed).
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name === "on") listen(element, value);
    else if (name === "data") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

function listen(element, handlers) {
  for (const [event, handler] of Object.entries(handlers)) element.addEventListener(event, handler);
}

/** A new id, unique in the page. */
export function uid(prefix = "g") {
  nextId += 1;
  return `gargoyle-${prefix}-${nextId}`;
}

/**
 * Say ``message`` in the live region (screen readers read it; everyone sees it): one notice
 * at a time, each replacing the last. ``action`` ({label, name, run}) adds a button (an
 * "Undo"); such a notice stays longer, and while the pointer or the focus is on it.
 */
export function announce(message, kind = "success", action = null) {
  clearTimeout(announceTimer);
  dom.status.textContent = "";
  dom.live.replaceChildren();
  dom.live.className = `gargoyle-live gargoyle-live-${kind}`;
  // A fresh text node after a tick, so the same message twice is announced twice.
  window.setTimeout(() => {
    dom.live.replaceChildren(h("span", { class: "gargoyle-live-text", text: message }));
    if (action) dom.live.append(" ", buildAction(action));
  }, 30);
  hideLater(action ? 12000 : 8000);
}

/**
 * Tell screen readers ``message`` without a notice on screen: for what the page already
 * shows (the search count, the sort order).
 */
export function say(message) {
  dom.status.textContent = "";
  window.setTimeout(() => {
    dom.status.textContent = message;
  }, 30);
}

function buildAction({ label, name, run }) {
  const button = h("button", { type: "button", class: "gargoyle-live-action", "aria-label": name || null }, label);
  button.addEventListener("click", () => {
    if (button.disabled) return;
    button.disabled = true;
    run();
  });
  return button;
}

function hideLater(delay) {
  clearTimeout(announceTimer);
  announceTimer = window.setTimeout(() => {
    if (dom.live.matches(":hover, :focus-within")) {
      hideLater(2000);
      return;
    }
    dom.live.replaceChildren();
    dom.live.className = "gargoyle-live";
  }, delay);
}

/** Show ``message`` in an error element, or hide it when there is none. */
export function showError(element, message) {
  element.textContent = message || "";
  element.hidden = !message;
}

export function clearFieldErrors(form) {
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

/** Mark the input a message names ("key: ...") invalid, and focus it. */
export function markFieldError(form, message) {
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

const CONTROLS = ".gargoyle-panel-box input[id], .gargoyle-panel-box select[id], .gargoyle-panel-box textarea[id]";

function isCheckable(control) {
  return control.type === "checkbox" || control.type === "radio";
}

function isTyped(control) {
  if (isCheckable(control)) return control.checked !== control.defaultChecked;
  if (control.tagName === "SELECT") {
    const chosen = control.options[control.selectedIndex];
    const preset = Array.from(control.options).find((option) => option.defaultSelected) || control.options[0];
    return chosen !== preset;
  }
  return control.value !== control.defaultValue;
}

/**
 * What someone typed into the forms of a row's open box and has not sent: [id, value] pairs,
 * in the page's order. A row is rebuilt whenever its data arrives or changes (the schedules
 * it was loading, a status toggled, the list reloaded); ``restoreTyped`` puts this back into
 * the new row, so that nothing typed is lost. A form that was sent is reset first
 * (``markSent``); a form being sent moves to the new row whole (``keepSendingForms``).
 */
export function typedIn(row) {
  return Array.from(row.querySelectorAll(CONTROLS))
    .filter((control) => !control.closest("form[hidden], form[data-sending]") && isTyped(control))
    .map((control) => [control.id, isCheckable(control) ? control.checked : control.value]);
}

/**
 * Put ``typed`` (from ``typedIn``) back, as if typed again: listeners follow (a choice of field
 * builds its inputs before they are filled), and a form that was open (a schedule's "Move")
 * opens again. When a choice is no longer offered (its condition was removed meanwhile), what
 * was typed after it in the same form is dropped rather than put under another choice.
 */
export function restoreTyped(row, typed) {
  let dropped = null;
  for (const [id, value] of typed) {
    const control = row.querySelector(`#${CSS.escape(id)}`);
    if (!control || (dropped && control.form === dropped)) continue;
    if (control.tagName === "SELECT" && !Array.from(control.options).some((option) => option.value === value)) {
      dropped = control.form;
      continue;
    }
    if (isCheckable(control)) control.checked = value;
    else control.value = value;
    if (control.form?.hidden) control.form.hidden = false;
    if (control.type === "radio" && !value) continue; // as in a browser: only the one chosen says so
    control.dispatchEvent(new Event("input", { bubbles: true }));
    control.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

/**
 * Mark ``form`` as being sent (``true``) or no longer (``false``): its submit button is
 * disabled meanwhile, so a second click sends nothing twice (see ``keepSendingForms``).
 */
export function markSending(form, sending) {
  if (sending) form.dataset.sending = "";
  else delete form.dataset.sending;
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = sending;
}

/** The form's request succeeded: empty it, so that the row rebuilt next shows it afresh. */
export function markSent(form) {
  markSending(form, false);
  form.reset();
}

/**
 * Move the forms of ``old`` that are being sent into ``row``, in place of their fresh copies:
 * their request's answer (an error, the reset after success) lands in the form on screen, and
 * its disabled button keeps a second click from sending it twice.
 */
export function keepSendingForms(old, row) {
  for (const form of old.querySelectorAll(".gargoyle-panel-box form[data-sending]")) {
    const anchor = form.querySelector("[id]");
    const twin = anchor ? row.querySelector(`#${CSS.escape(anchor.id)}`)?.closest("form") : null;
    if (twin) twin.replaceWith(form);
  }
}
