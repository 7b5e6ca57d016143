// The rollout tool: a switch's progressive rollout. While one runs: its stages (the current
// one marked), what it waits for, the time left in the stage, the guard's figures (each
// group's share of bad requests with its 95 % interval, and the sample sizes), and Pause,
// Resume, Advance now and Abort. Otherwise: a form that starts one, and the last that ended.

import { api } from "./api.js";
import { confirmAction, returnFocusTo } from "./dialogs.js";
import { announce, clearFieldErrors, h, markSending, markSent, showError } from "./dom.js";
import { can, data, notify, state, switchLabel } from "./state.js";
import { formatDate, formatNumber, relativeTime, t } from "./text.js";

/** Under the row: the running or paused rollout, in one line. */
export function buildRolloutLine(item) {
  const rollout = item.rollout;
  if (!rollout) return null;
  return h(
    "p",
    { class: "gargoyle-rollout-line" },
    h("span", { class: `gargoyle-badge gargoyle-badge-rollout-${rollout.state}`, text: t(`rollout_${rollout.state}`) }),
    " ",
    t("rolloutStage", { number: rollout.stage + 1, count: rollout.stageCount, percent: rollout.percent }),
    rollout.outcome ? ` — ${rollout.outcome}` : null,
  );
}

export function buildRollout(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("rolloutTitle", { label }) }));
  const loaded = state.rollouts.get(item.key);
  if (loaded === undefined) {
    panel.append(h("p", { class: "gargoyle-loading", text: t("loading") }));
    return;
  }
  if (loaded instanceof Error) {
    panel.append(h("p", { class: "errornote", role: "alert", text: loaded.message }));
    return;
  }
  if (loaded.rollout) panel.append(buildCurrent(item, loaded.rollout, id));
  else if (can.change) panel.append(buildStartForm(item, id));
  else panel.append(h("p", { class: "help", text: t("rolloutNone") }));
  if (loaded.past.length) panel.append(buildPast(loaded.past));
}

// -- the running rollout ------------------------------------------------------------------------

function buildCurrent(item, rollout, id) {
  const section = h("div", { class: `gargoyle-rollout gargoyle-rollout-${rollout.state}` });
  section.append(
    h(
      "p",
      { class: "gargoyle-rollout-state" },
      h("span", { class: `gargoyle-badge gargoyle-badge-rollout-${rollout.state}`, text: t(`rollout_${rollout.state}`) }),
      " ",
      t("rolloutStage", { number: rollout.stage + 1, count: rollout.stages.length, percent: rollout.percent }),
      rollout.state === "running" ? ` · ${holdText(rollout)}` : null,
    ),
    rollout.outcome ? h("p", { class: "gargoyle-rollout-outcome", text: rollout.outcome }) : null,
    buildStages(rollout, id),
    buildFigures(rollout, id),
  );
  if (can.change) section.append(buildButtons(item, rollout));
  return section;
}

function holdText(rollout) {
  const ends = new Date(rollout.holdEndsAt);
  return ends.getTime() > Date.now()
    ? t("rolloutHoldLeft", { when: relativeTime(ends) })
    : t("rolloutHoldDone");
}

function buildStages(rollout, id) {
  const list = h("ol", { class: "gargoyle-rollout-stages", "aria-label": t("rolloutStages") });
  rollout.stages.forEach((stage, index) => {
    const status = index < rollout.stage ? "done" : index === rollout.stage ? "current" : "next";
    // The last stage is where the rollout ends: nothing is held there.
    const text =
      index === rollout.stages.length - 1
        ? t("rolloutLastStage", { percent: stage.percent })
        : t("rolloutStageItem", {
            percent: stage.percent,
            hold: Math.round(stage.hold / 60),
            exposed: formatNumber(stage.min_exposed),
          });
    list.append(
      h("li", { class: `gargoyle-rollout-stage-${status}`, "aria-current": status === "current" ? "step" : null }, text),
    );
  });
  return list;
}

function rateText(group) {
  if (!group.requests) return t("rolloutNoRequests");
  const percent = (value) => `${(value * 100).toFixed(1)} %`;
  return t("rolloutRate", {
    rate: percent(group.rate),
    low: percent(group.low),
    high: percent(group.high),
    n: formatNumber(group.requests),
  });
}

function buildFigures(rollout, id) {
  const figures = rollout.figures || {};
  const metrics = figures.metrics || [];
  const box = h("div", { class: "gargoyle-rollout-figures" });
  if (!metrics.length) {
    box.append(h("p", { class: "help", text: t("rolloutNoFigures") }));
    return box;
  }
  const need = rollout.stages[rollout.stage].min_exposed;
  box.append(h("p", { text: t("rolloutExposed", { have: formatNumber(figures.exposedSubjects || 0), need: formatNumber(need) }) }));
  const table = h(
    "table",
    { class: "gargoyle-rollout-table" },
    h("caption", { text: t("rolloutGuard", { points: (rollout.maxIncrease * 100).toFixed(1) }) }),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col", text: t("rolloutMetric") }),
        h("th", { scope: "col", text: t("rolloutOn") }),
        h("th", { scope: "col", text: t("rolloutOff") }),
        h("th", { scope: "col", text: t("rolloutVerdict") }),
      ),
    ),
    h(
      "tbody",
      {},
      metrics.map((metric) =>
        h(
          "tr",
          { class: metric.tripped ? "gargoyle-rollout-tripped" : null },
          h("th", { scope: "row", text: metric.metric }),
          h("td", { text: rateText(metric.exposed) }),
          h("td", { text: rateText(metric.control) }),
          h("td", { text: verdictText(metric, rollout) }),
        ),
      ),
    ),
  );
  box.append(table);
  if (figures.at) box.append(h("p", { class: "help", text: t("rolloutFiguresAt", { when: formatDate(new Date(figures.at)) }) }));
  return box;
}

function verdictText(metric, rollout) {
  if (metric.tripped) return t("rolloutTripped");
  if (!metric.enough) return t("rolloutTooFew", { n: formatNumber(rollout.minRequests) });
  return t("rolloutQuiet", { z: metric.z });
}

function buildButtons(item, rollout) {
  const buttons = h("div", { class: "gargoyle-form-buttons gargoyle-rollout-buttons" });
  const add = (name, textKey, confirm) =>
    buttons.append(
      h(
        "button",
        {
          type: "button",
          class: `button gargoyle-small${name === "abort" ? " gargoyle-danger" : ""}`,
          data: { focus: `rollout-${name}` },
          on: { click: (event) => press(item, rollout, name, event.currentTarget, confirm) },
        },
        t(textKey),
      ),
    );
  if (rollout.state === "running") add("pause", "rolloutPause", false);
  if (rollout.state === "paused") add("resume", "rolloutResume", false);
  add("advance", "rolloutAdvance", true);
  add("abort", "rolloutAbort", true);
  return buttons;
}

const ENDPOINTS = { pause: "pauseRollout", resume: "resumeRollout", advance: "advanceRollout", abort: "abortRollout" };

function press(item, rollout, name, opener, confirm) {
  const run = async () => {
    const body = { id: String(rollout.id) };
    // Advance names the stage the person saw: if an evaluation widened it meanwhile, the server refuses.
    if (name === "advance") body.stage = String(rollout.stage);
    const updated = await api(ENDPOINTS[name], { method: "POST", body });
    notify("switches-loaded", await api("switches")); // its percent changed
    await reload(item.key);
    announce(t("rolloutDone", { label: switchLabel(item), outcome: updated.outcome }));
  };
  if (!confirm) {
    opener.disabled = true; // no second request while the first is on its way
    run()
      .catch((failure) => announce(failure.message, "error"))
      .finally(() => {
        opener.disabled = false;
      });
    return;
  }
  const next = rollout.stages[Math.min(rollout.stage + 1, rollout.stages.length - 1)];
  confirmAction({
    title: t(name === "abort" ? "rolloutAbortTitle" : "rolloutAdvanceTitle", { label: switchLabel(item) }),
    message: t(name === "abort" ? "rolloutAbortMessage" : "rolloutAdvanceMessage", { percent: next.percent }),
    confirm: t(name === "abort" ? "rolloutAbort" : "rolloutAdvance"),
    danger: name === "abort",
    opener,
    action: async () => {
      try {
        await run();
      } catch (failure) {
        await reload(item.key); // it moved meanwhile: the box shows where it is now
        throw failure; // and the dialog says why nothing happened
      }
      returnFocusTo(state.rows.get(item.key)?.querySelector('[data-focus="tool-rollout"]') || null);
    },
  });
}

// -- starting one ------------------------------------------------------------------------------

function field(id, name, labelKey, attributes, helpKey = null) {
  const input = h("input", { id: `${id}-${name}`, name, ...attributes });
  return h(
    "div",
    { class: "gargoyle-value" },
    h("label", { for: input.id, text: t(labelKey) }),
    input,
    helpKey ? h("p", { class: "help", text: t(helpKey) }) : null,
  );
}

function buildPercentSelect(id) {
  const select = h("select", { id: `${id}-rollout-field`, name: "percentField" });
  for (const set of data.conditionSets || []) {
    for (const found of set.fields || []) {
      if (found.type === "percent") select.append(h("option", { value: `${set.id}\u0000${found.name}`, text: `${set.label}: ${found.label}` }));
    }
  }
  return h("div", { class: "gargoyle-value" }, h("label", { for: select.id, text: t("rolloutWho") }), select);
}

function buildStartForm(item, id) {
  const onTrip = h("select", { id: `${id}-on-trip`, name: "on_trip" });
  for (const [value, textKey] of [
    ["roll_back", "rolloutOnTripRollBack"],
    ["previous_stage", "rolloutOnTripPrevious"],
    ["pause", "rolloutOnTripPause"],
  ]) {
    onTrip.append(h("option", { value, text: t(textKey) }));
  }
  const error = h("p", { class: "errornote gargoyle-inline-error", id: `${id}-rollout-error`, role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "button default", data: { focus: "rollout-start" } }, t("rolloutStart"));
  const form = h(
    "form",
    { class: "gargoyle-rollout-form", novalidate: true },
    h("p", { class: "help", text: t("rolloutExplained") }),
    h(
      "div",
      { class: "gargoyle-condition-row" },
      field(id, "stages", "rolloutStagesLabel", { type: "text", value: "1, 5, 25, 50, 100", required: true, "data-autofocus": true }),
      buildPercentSelect(id),
    ),
    h(
      "div",
      { class: "gargoyle-condition-row" },
      field(id, "hold", "rolloutHold", { type: "number", min: "0", step: "1", value: "60" }),
      field(id, "min_exposed", "rolloutMinExposed", { type: "number", min: "0", step: "1", value: "100" }),
    ),
    h(
      "div",
      { class: "gargoyle-condition-row" },
      field(id, "max_increase", "rolloutMaxIncrease", { type: "number", min: "0", max: "99", step: "0.1", value: "1" }),
      field(id, "min_requests", "rolloutMinRequests", { type: "number", min: "1", step: "1", value: "200" }),
      h("div", { class: "gargoyle-value" }, h("label", { for: onTrip.id, text: t("rolloutOnTrip") }), onTrip),
      field(id, "metric", "rolloutMetricLabel", { type: "text", autocomplete: "off" }, "rolloutMetricHelp"),
    ),
    error,
    h("div", { class: "gargoyle-form-buttons" }, submit),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    startRollout(item, form, error);
  });
  return form;
}

async function startRollout(item, form, error) {
  clearFieldErrors(form);
  showError(error, "");
  const body = { key: item.key };
  for (const input of form.querySelectorAll("input[name], select[name]")) body[input.name] = input.value.trim();
  const [setId, fieldName] = (body.percentField || "").split("\u0000");
  delete body.percentField;
  if (setId) Object.assign(body, { id: setId, field: fieldName });
  markSending(form, true);
  try {
    const started = await api("startRollout", { method: "POST", body });
    markSent(form);
    notify("switches-loaded", await api("switches"));
    await reload(item.key, "rollout-pause");
    announce(t("rolloutStarted", { label: switchLabel(item), outcome: started.outcome }));
  } catch (failure) {
    showError(error, failure.message);
    form.querySelector("input[name=stages]")?.setAttribute("aria-invalid", "true");
  } finally {
    markSending(form, false);
  }
}

function buildPast(past) {
  return h(
    "div",
    { class: "gargoyle-rollout-past" },
    h("h4", { text: t("rolloutPast") }),
    h(
      "ul",
      {},
      past.map((rollout) =>
        h(
          "li",
          {},
          h("span", { class: `gargoyle-badge gargoyle-badge-rollout-${rollout.state}`, text: t(`rollout_${rollout.state}`) }),
          " ",
          formatDate(new Date(rollout.finishedAt || rollout.createdAt)),
          ": ",
          rollout.outcome,
        ),
      ),
    ),
  );
}

/** Fetch a switch's rollouts (and its row), then show them if its rollout box is open. */
export async function reload(key, focus = null) {
  try {
    const reply = await api("rollouts", { params: { key } });
    state.rollouts.set(key, reply);
    const item = state.switches.get(key);
    if (item) {
      const current = reply.rollout;
      item.rollout = current && {
        id: current.id,
        state: current.state,
        stage: current.stage,
        stageCount: current.stages.length,
        percent: current.percent,
        outcome: current.outcome,
      };
    }
  } catch (error) {
    state.rollouts.set(key, error);
  }
  if (state.open.get(key) === "rollout" || focus) notify("row-changed", { key, focus });
}
