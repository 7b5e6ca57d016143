// One switch's row: its name and key, status toggles, effect, edit and delete buttons, its
// conditions, and the tools (add a condition, preview, history) that open a box below it.

import { api } from "./api.js";
import { buildSelectBox } from "./bulk.js";
import { buildConditionForm } from "./condition-form.js";
import { buildConditions } from "./conditions.js";
import { h } from "./dom.js";
import { buildHistory, loadHistory } from "./history.js";
import { buildNotices } from "./notices.js";
import { buildPreview } from "./preview.js";
import { buildRollout, buildRolloutLine, reload as loadRollouts } from "./rollout.js";
import { buildSchedule, buildScheduleLine, loadSchedules } from "./schedule.js";
import { can, notify, rowId, STATUS, state, switchLabel, TOGGLES } from "./state.js";
import { changeStatus } from "./status.js";
import { buildUsage } from "./usage.js";
import { confirmDelete, openSwitchDialog } from "./switch-dialog.js";
import { formatDate, relativeTime, t } from "./text.js";

const READONLY_TOGGLE = "gargoyle-toggle gargoyle-toggle-readonly";

export function buildRow(item) {
  const id = rowId(item.key);
  const label = switchLabel(item);
  const open = state.open.get(item.key);
  const row = h("li", { class: `gargoyle-switch gargoyle-status-${item.status}`, id, data: { key: item.key } });
  const article = h("article", { class: "gargoyle-switch-body", "aria-labelledby": `${id}-label` });
  row.append(article);

  const status = h("div", { class: "gargoyle-status" }, buildToggles(item, label), buildEffective(item));
  article.append(
    h(
      "div",
      { class: "gargoyle-switch-head" },
      buildSelectBox(item, label),
      buildIdentity(item, id, label),
      status,
      buildActions(item, label),
    ),
  );
  const audience = buildAudience(item, label);
  if (audience) article.append(audience);
  const usage = buildUsage(item);
  if (usage) article.append(usage);
  const rollout = buildRolloutLine(item);
  if (rollout) article.append(rollout);
  const scheduled = buildScheduleLine(item);
  if (scheduled) article.append(scheduled);
  const conditions = buildConditions(item, label);
  if (conditions) article.append(conditions);
  article.append(buildTools(item, id, open));
  if (open) article.append(buildPanel(item, open, id));
  return row;
}

function buildIdentity(item, id, label) {
  return h(
    "div",
    { class: "gargoyle-identity" },
    h(
      "h2",
      { class: "gargoyle-label", id: `${id}-label` },
      // A switch labelled with its key (auto-created ones are) shows the key once.
      label === item.key ? null : [h("span", { class: "gargoyle-label-text", text: label }), " "],
      h("code", { class: "gargoyle-key", text: item.key }),
    ),
    buildModified(item),
    item.problem
      ? h(
          "p",
          { class: "gargoyle-problem" },
          h("span", { class: "gargoyle-badge gargoyle-badge-problem", text: t("problem") }),
          " ",
          item.problem,
        )
      : null,
    item.description ? h("p", { class: "gargoyle-description", text: item.description }) : null,
    buildNotices(item),
  );
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
    if (!can.change) {
      // Read only: the status shows, nothing to press.
      if (pressed) group.append(h("span", { class: READONLY_TOGGLE, "aria-current": "true", text: t(textKey) }));
      continue;
    }
    group.append(buildToggle(item, status, textKey, pressed));
  }
  return group;
}

function buildToggle(item, status, textKey, pressed) {
  const forbidden = status === STATUS.GLOBAL && !can.setGlobal && !pressed;
  return h(
    "button",
    {
      type: "button",
      class: `gargoyle-toggle gargoyle-toggle-${status}`,
      "aria-pressed": String(pressed),
      disabled: forbidden,
      title: forbidden ? t("noGlobalPermission") : null,
      data: { focus: `status-${status}`, status: String(status) },
      on: { click: () => changeStatus(item.key, status) },
    },
    t(textKey),
  );
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
    // A switch whose stored conditions cannot be used evaluates as the caller's default;
    // otherwise who it is on for, in words ("On for: 10 % of signed-in users, or staff").
    kind === "problem" && item.status === STATUS.SELECTIVE
      ? t("problemEffect")
      : h("span", { class: "gargoyle-audience", text: item.audience || item.statusLabel || "" }),
  );
}

// The estimate of a percent rollout, and the count of the site's users the switch is on for:
// asked for with a button, never on page load (it evaluates the switch for every user).
function buildAudience(item, label) {
  const kind = effectiveKind(item);
  const countable = kind === "some" || kind === "inherit"; // elsewhere it is everyone or no one
  if (!item.audienceEstimate && !countable) return null;
  const line = h("p", { class: "gargoyle-audience-line" });
  if (item.audienceEstimate) {
    line.append(h("span", { class: "gargoyle-estimate", text: t("audienceEstimate", item.audienceEstimate) }));
  }
  if (!countable) return line;
  const saved = state.counts.get(item.key);
  const current = saved && saved.signature === countSignature(item) ? saved : null;
  const result = h("span", { class: "gargoyle-count", role: "status", "aria-live": "polite" });
  if (current?.result) result.textContent = countText(current.result);
  if (current?.error) result.textContent = current.error;
  const button = h(
    "button",
    {
      type: "button",
      class: "gargoyle-count-button",
      data: { focus: "count-users" },
      title: t("countUsersOf", { label }),
      on: { click: () => countUsers(item, button, result) },
    },
    t("countUsers"),
  );
  line.append(button, result);
  return line;
}

// A count holds while the switch's status and conditions are as they were counted.
function countSignature(item) {
  return JSON.stringify([item.key, item.status, item.conditions]);
}

function countText(result) {
  return t(result.capped ? "audienceCountCapped" : "audienceCount", { on: result.on, of: result.of });
}

async function countUsers(item, button, result) {
  const signature = countSignature(item);
  button.disabled = true;
  result.textContent = t("countingUsers");
  try {
    const counted = await api("audience", { params: { key: item.key } });
    state.counts.set(item.key, { signature, result: counted });
    result.textContent = countText(counted);
  } catch (failure) {
    state.counts.set(item.key, { signature, error: failure.message });
    result.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
}

function buildActions(item, label) {
  const actions = h("div", { class: "gargoyle-actions" });
  if (can.change) {
    const edit = (event) => openSwitchDialog(item.key, event.currentTarget);
    actions.append(iconButton("edit", t("editSwitch", { label }), t("edit"), edit));
  }
  if (can.delete) {
    const remove = (event) => confirmDelete(item.key, event.currentTarget);
    actions.append(iconButton("delete", t("deleteSwitch", { label }), t("delete"), remove));
  }
  return actions;
}

function iconButton(name, label, title, onClick) {
  return h(
    "button",
    {
      type: "button",
      class: `gargoyle-icon-button gargoyle-${name}`,
      data: { focus: name },
      "aria-label": label,
      title,
      on: { click: onClick },
    },
    h("span", { class: `gargoyle-icon gargoyle-icon-${name}`, "aria-hidden": "true" }),
  );
}

function buildTools(item, id, open) {
  const tools = h("div", { class: "gargoyle-tools" });
  const panels = [];
  if (can.change) panels.push(["condition", "addCondition"]);
  panels.push(["preview", "preview"], ["rollout", "rollout"], ["schedule", "schedule"], ["history", "history"]);
  for (const [name, textKey] of panels) {
    tools.append(
      h(
        "button",
        {
          type: "button",
          class: "gargoyle-tool",
          data: { focus: `tool-${name}` },
          "aria-expanded": String(open === name),
          "aria-controls": open === name ? `${id}-panel` : null,
          on: { click: () => togglePanel(item.key, name) },
        },
        t(textKey),
      ),
    );
  }
  return tools;
}

function buildPanel(item, name, id) {
  const panel = h("section", {
    class: `gargoyle-panel-box gargoyle-panel-${name}`,
    id: `${id}-panel`,
    "aria-labelledby": `${id}-panel-title`,
  });
  const builders = {
    condition: buildConditionForm,
    preview: buildPreview,
    rollout: buildRollout,
    schedule: buildSchedule,
    history: buildHistory,
  };
  builders[name](item, panel, id);
  // Esc closes the box, as it closes a dialog, and gives the focus back to its button.
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    event.preventDefault();
    if (state.open.get(item.key) === name) togglePanel(item.key, name);
  });
  return panel;
}

/** Open a row's tool box ``name`` (closing the one open), or close it if it is open. */
export function togglePanel(key, name) {
  const opening = state.open.get(key) !== name;
  if (opening) state.open.set(key, name);
  else state.open.delete(key);
  notify("row-changed", { key, focus: `tool-${name}` });
  if (opening) {
    const row = state.rows.get(key);
    row.querySelector(".gargoyle-panel-box [data-autofocus]")?.focus();
    if (name === "history") loadHistory(key);
    if (name === "schedule") loadSchedules(key);
    if (name === "rollout") loadRollouts(key);
  }
}
