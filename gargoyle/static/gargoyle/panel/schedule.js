// The schedule tool: a switch's scheduled changes (when, in the viewer's time zone and the
// site's; what; who; what became of them), "Move" and "Cancel" for those still to come, and
// a form that schedules any change the panel can make: a status, a percent range, a
// condition added or removed. Times are typed on a wall clock in a chosen time zone; the
// server turns them into UTC and refuses one that a change of the clocks makes unclear.

import { api } from "./api.js";
import { confirmAction, returnFocusTo } from "./dialogs.js";
import { announce, clearFieldErrors, h, markSending, markSent, showError } from "./dom.js";
import { buildFieldInputs, checkInputs, markInvalid } from "./field-inputs.js";
import { can, data, notify, state, switchLabel, TOGGLES } from "./state.js";
import { chipText, formatDateIn, t } from "./text.js";

const VIEWER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function buildSchedule(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("scheduleTitle", { label }) }));
  const loaded = state.schedules.get(item.key);
  if (loaded === undefined) {
    panel.append(h("p", { class: "gargoyle-loading", text: t("loading") }));
  } else if (loaded instanceof Error) {
    panel.append(h("p", { class: "errornote", role: "alert", text: loaded.message }));
  } else if (!loaded.length) {
    panel.append(h("p", { class: "help", text: t("scheduleEmpty") }));
  } else {
    panel.append(h("ul", { class: "gargoyle-schedules" }, loaded.map((found) => buildEntry(item, id, found))));
  }
  if (can.change) panel.append(buildForm(item, id));
}

/** Under the row: the next scheduled change, and how many more are to come. */
export function buildScheduleLine(item) {
  const next = (item.schedules || [])[0];
  if (!next) return null;
  const more = item.schedules.length - 1;
  return h(
    "p",
    { class: "gargoyle-schedule-line" },
    h("span", { class: "gargoyle-badge gargoyle-badge-pending", text: t("schedule_pending") }),
    " ",
    h("time", { datetime: next.dueAt }, dueText(next.dueAt)),
    ": ",
    next.summary,
    more ? ` ${t("scheduleMore", { count: more })}` : null,
  );
}

function siteZone() {
  return data.siteTimeZone || "UTC";
}

/** "Dec 5, 2026, 2:00 PM (your time) · 1:00 PM Europe/London" */
function dueText(iso) {
  const date = new Date(iso);
  const mine = t("inYourZone", { when: formatDateIn(date, VIEWER_ZONE) });
  if (siteZone() === VIEWER_ZONE) return mine;
  return `${mine} · ${t("inZone", { when: formatDateIn(date, siteZone()), zone: siteZone() })}`;
}

function buildEntry(item, id, found) {
  const entryId = `${id}-schedule-${found.id}`;
  const pending = found.state === "pending";
  const entry = h(
    "li",
    { class: `gargoyle-schedule gargoyle-schedule-${found.state}`, id: entryId },
    h("span", { class: `gargoyle-badge gargoyle-badge-${found.state}`, text: t(`schedule_${found.state}`) }),
    " ",
    h("time", { datetime: found.dueAt }, dueText(found.dueAt)),
    ": ",
    h("span", { class: "gargoyle-schedule-summary", text: found.summary }),
    found.scheduledBy ? ` (${t("scheduledBy", { who: found.scheduledBy })})` : null,
    pending ? null : h("p", { class: "gargoyle-schedule-outcome", text: found.outcome }),
  );
  if (pending && can.change) entry.append(buildEntryActions(item, found, entryId));
  return entry;
}

function buildEntryActions(item, found, entryId) {
  const move = h("form", { class: "gargoyle-schedule-move", novalidate: true, hidden: true });
  const input = h("input", {
    type: "datetime-local",
    id: `${entryId}-when`,
    required: true,
    data: { focus: `schedule-move-input-${found.id}` },
  });
  const error = h("p", { class: "errornote gargoyle-inline-error", id: `${entryId}-error`, role: "alert", hidden: true });
  move.append(
    h("label", { for: input.id, text: t("moveTo", { zone: VIEWER_ZONE }) }),
    input,
    h("button", { type: "submit", class: "button gargoyle-small" }, t("save")),
    error,
  );
  move.addEventListener("submit", (event) => {
    event.preventDefault();
    submitMove(item.key, found, input, error);
  });
  const button = (name, text, onClick) =>
    h(
      "button",
      {
        type: "button",
        class: "button gargoyle-small",
        data: { focus: `schedule-${name}-${found.id}` },
        "aria-describedby": entryId,
        on: { click: onClick },
      },
      text,
    );
  return h(
    "div",
    { class: "gargoyle-schedule-actions" },
    button("move", t("move"), () => {
      move.hidden = !move.hidden;
      if (!move.hidden) input.focus();
    }),
    button("cancel", t("cancelSchedule"), (event) => confirmCancel(item.key, found, event.currentTarget)),
    move,
  );
}

async function submitMove(key, found, input, error) {
  if (!input.value) {
    showError(error, t("scheduleWhenMissing"));
    markInvalid(input, error);
    return;
  }
  markSending(input.form, true);
  try {
    await api("editSchedule", { method: "POST", body: { id: String(found.id), due: input.value, zone: VIEWER_ZONE } });
    markSent(input.form);
  } catch (failure) {
    showError(error, failure.message);
    markInvalid(input, error);
    return;
  } finally {
    markSending(input.form, false);
  }
  await loadSchedules(key, `schedule-move-${found.id}`);
  announce(t("scheduleMoved", { summary: found.summary }));
}

function confirmCancel(key, found, opener) {
  confirmAction({
    title: t("cancelScheduleTitle"),
    message: t("cancelScheduleMessage", { summary: found.summary, when: dueText(found.dueAt) }),
    confirm: t("cancelSchedule"),
    danger: true,
    opener,
    action: async () => {
      await api("cancelSchedule", { method: "POST", body: { id: String(found.id) } });
      await loadSchedules(key, "tool-schedule");
      returnFocusTo(state.rows.get(key)?.querySelector('[data-focus="tool-schedule"]') || null);
      announce(t("scheduleCancelled", { summary: found.summary }));
    },
  });
}

// -- the form ------------------------------------------------------------------------------

/** Every change the form can schedule, as <option> values: "status:3", "percent:<set>\0<field>"... */
function buildWhatSelect(item, selectId) {
  const select = h("select", { id: selectId, name: "what", "data-autofocus": true, data: { focus: "schedule-what" } });
  const statuses = h("optgroup", { label: t("scheduleStatus") });
  for (const [status, textKey] of TOGGLES) {
    if (status === 3 && !can.setGlobal) continue;
    statuses.append(h("option", { value: `status:${status}`, text: t("setStatusTo", { status: t(textKey) }) }));
  }
  const percents = h("optgroup", { label: t("schedulePercent") });
  const adds = h("optgroup", { label: t("addCondition") });
  for (const set of data.conditionSets || []) {
    for (const field of set.fields || []) {
      const name = `${set.label}: ${field.label}`;
      if (field.type === "percent") percents.append(h("option", { value: `set_percent:${set.id}\0${field.name}`, text: name }));
      adds.append(h("option", { value: `add_condition:${set.id}\0${field.name}`, text: name }));
    }
  }
  const removes = h("optgroup", { label: t("scheduleRemove") });
  for (const group of item.conditions || []) {
    for (const [fieldName, value, shown, exclude, mode] of group.conditions) {
      const text = `${group.label}: ${chipText(shown, mode || (exclude ? "e" : "i"))}`;
      removes.append(h("option", { value: `remove_condition:${group.id}\0${fieldName}\0${value}`, text }));
    }
  }
  for (const group of [statuses, percents, adds, removes]) if (group.childElementCount) select.append(group);
  return select;
}

function parseWhat(value) {
  const [action, rest] = [value.slice(0, value.indexOf(":")), value.slice(value.indexOf(":") + 1)];
  if (action === "status") return { action, status: rest };
  const [setId, fieldName, condition] = rest.split("\0");
  const chosen = state.conditionFields.get(`${setId}\0${fieldName}`);
  return { action, setId, fieldName, condition, field: chosen ? chosen.field : null };
}

function buildZoneSelect(selectId) {
  const zones = [...new Set([VIEWER_ZONE, siteZone(), "UTC"])];
  const select = h("select", { id: selectId, name: "zone", data: { focus: "schedule-zone" } });
  for (const zone of zones) {
    const key = zone === VIEWER_ZONE ? "zoneYours" : zone === siteZone() ? "zoneSite" : "zoneOther";
    select.append(h("option", { value: zone, text: t(key, { zone }) }));
  }
  return select;
}

function buildForm(item, id) {
  const what = buildWhatSelect(item, `${id}-what`);
  const inputs = h("div", { class: "gargoyle-condition-inputs" });
  const mode = h("select", { id: `${id}-schedule-mode`, name: "mode" });
  mode.append(
    h("option", { value: "include", text: t("includeChoice") }),
    h("option", { value: "exclude", text: t("excludeChoice") }),
    h("option", { value: "required", text: t("requiredChoice") }),
  );
  const modeRow = h("div", { class: "gargoyle-value" }, h("label", { for: mode.id, text: t("modeLegend") }), mode);
  const follow = () => {
    const chosen = parseWhat(what.value);
    const needsInputs = chosen.field && (chosen.action === "set_percent" || chosen.action === "add_condition");
    inputs.replaceChildren(...(needsInputs ? buildFieldInputs(chosen.field, `${id}-schedule`) : []));
    modeRow.hidden = chosen.action !== "add_condition";
  };
  what.addEventListener("change", follow);
  follow();
  const when = h("input", { type: "datetime-local", id: `${id}-when`, name: "due", required: true, data: { focus: "schedule-when" } });
  const zone = buildZoneSelect(`${id}-zone`);
  const error = h("p", { class: "errornote gargoyle-inline-error", id: `${id}-schedule-error`, role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button default", data: { focus: "schedule-submit" } }, t("scheduleButton"));
  const form = h(
    "form",
    { class: "gargoyle-schedule-form", novalidate: true },
    h("h4", { text: t("scheduleNew") }),
    h(
      "div",
      { class: "gargoyle-condition-row" },
      h("div", { class: "gargoyle-condition-choice" }, h("label", { for: what.id, text: t("scheduleWhat") }), what),
      inputs,
      modeRow,
    ),
    h(
      "div",
      { class: "gargoyle-condition-row" },
      h("div", { class: "gargoyle-value" }, h("label", { for: when.id, text: t("scheduleWhen") }), when),
      h("div", { class: "gargoyle-value" }, h("label", { for: zone.id, text: t("scheduleZone") }), zone),
    ),
    error,
    h("div", { class: "gargoyle-form-buttons" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitSchedule(item.key, form, { what, inputs, mode, when, zone, error });
  });
  return form;
}

function scheduleBody(key, chosen, fields) {
  const body = { key, action: chosen.action, due: fields.when.value, zone: fields.zone.value };
  if (chosen.action === "status") return { ...body, status: chosen.status };
  Object.assign(body, { id: chosen.setId, field: chosen.fieldName });
  if (chosen.action === "remove_condition") return { ...body, value: chosen.condition };
  for (const input of fields.inputs.querySelectorAll("[name]")) body[input.name] = input.value.trim();
  if (chosen.action === "add_condition") body.mode = fields.mode.value;
  return body;
}

async function submitSchedule(key, form, fields) {
  clearFieldErrors(form);
  showError(fields.error, "");
  const chosen = parseWhat(fields.what.value);
  const inputs = Array.from(fields.inputs.querySelectorAll("[name]"));
  const problem = chosen.field && inputs.length ? checkInputs(chosen.field, inputs) : null;
  if (problem) {
    showError(fields.error, problem.message);
    markInvalid(problem.input, fields.error);
    return;
  }
  if (!fields.when.value) {
    showError(fields.error, t("scheduleWhenMissing"));
    markInvalid(fields.when, fields.error);
    return;
  }
  markSending(form, true);
  try {
    const made = await api("addSchedule", { method: "POST", body: scheduleBody(key, chosen, fields) });
    markSent(form);
    await loadSchedules(key, "schedule-what");
    announce(t("scheduled", { summary: made.summary, when: dueText(made.dueAt) }));
  } catch (failure) {
    showError(fields.error, failure.message);
    markInvalid(fields.when, fields.error);
  } finally {
    markSending(form, false);
  }
}

/** Fetch a switch's schedules, then show them if its schedule box is still open. */
export async function loadSchedules(key, focus = null) {
  try {
    const reply = await api("schedules", { params: { key } });
    if (reply.siteTimeZone) data.siteTimeZone = reply.siteTimeZone;
    state.schedules.set(key, reply.schedules);
    // The line under the row follows: the pending ones, soonest first (as the list sends them).
    const item = state.switches.get(key);
    if (item) item.schedules = reply.schedules.filter((found) => found.state === "pending");
  } catch (error) {
    state.schedules.set(key, error);
  }
  if (state.open.get(key) === "schedule" || focus) notify("row-changed", { key, focus });
}
