// The "Add a condition" form: the field menu, inputs that follow the chosen field's type,
// include or exclude, checks before the round trip, and the request.

import { api } from "./api.js";
import { announce, clearFieldErrors, h, markSending, markSent, showError } from "./dom.js";
import { buildFieldInputs, checkInputs, markInvalid } from "./field-inputs.js";
import { data, fieldId, notify, state, switchLabel } from "./state.js";
import { t } from "./text.js";

export function buildConditionForm(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("addConditionTo", { label }) }));
  const selectId = `${id}-field`;
  const select = buildFieldSelect(item, selectId);
  const inputs = h("div", { class: "gargoyle-condition-inputs" });
  const help = h("p", { class: "help gargoyle-condition-help", id: `${id}-help` });
  // Next to the inputs: what is wrong with them, before or after the round trip.
  const error = h("p", { class: "errornote gargoyle-inline-error", id: `${id}-error`, role: "alert", hidden: true });
  const submit = h(
    "button",
    { type: "submit", class: "button default", data: { focus: "condition-submit" } },
    t("addConditionButton"),
  );

  followChosenField(item, id, { select, inputs, help, error });

  const form = h(
    "form",
    { class: "gargoyle-condition-form", novalidate: true },
    h(
      "div",
      { class: "gargoyle-condition-row" },
      h("div", { class: "gargoyle-condition-choice" }, h("label", { for: selectId, text: t("condition") }), select),
      inputs,
    ),
    error,
    help,
    buildModeChoice(item, id),
    h("div", { class: "gargoyle-form-buttons" }, submit, buildCancel(item)),
  );
  form.addEventListener("submit", (event) => submitCondition(event, item.key, form, select, error));
  panel.append(form);
}

/** The inputs and the help follow the field chosen in ``select``; the row remembers the choice. */
function followChosenField(item, id, { select, inputs, help, error }) {
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
}

/** Include, exclude or required: an explicit choice, kept for the row until it is changed. */
function buildModeChoice(item, id) {
  const mode = state.modes.get(item.key) || "include";
  const radio = (value, textKey) => {
    const input = h("input", {
      type: "radio",
      id: `${id}-mode-${value}`,
      name: "mode",
      value,
      checked: mode === value,
      data: { focus: `condition-${value}` },
      on: { change: () => state.modes.set(item.key, value) },
    });
    return h("label", { class: `gargoyle-radio gargoyle-radio-${value}`, for: input.id }, input, " ", t(textKey));
  };
  return h(
    "fieldset",
    { class: "gargoyle-condition-row gargoyle-condition-mode", "aria-describedby": `${id}-mode-help` },
    h("legend", { text: t("modeLegend") }),
    radio("include", "includeChoice"),
    radio("exclude", "excludeChoice"),
    radio("required", "requiredChoice"),
    h("span", { class: "help", id: `${id}-mode-help`, text: t("excludeExplained") }),
    h("span", { class: "help", text: t("requiredExplained") }),
  );
}

/** "Cancel" closes the form's box (row.js opens and closes the boxes). */
function buildCancel(item) {
  return h(
    "button",
    {
      type: "button",
      class: "button gargoyle-button-secondary",
      data: { focus: "condition-cancel" },
      on: { click: () => notify("toggle-tool", { key: item.key, name: "condition" }) },
    },
    t("cancel"),
  );
}

/** Every field of every condition set, grouped by set; the row's last choice selected. */
function buildFieldSelect(item, selectId) {
  const select = h("select", {
    id: selectId,
    name: "condition",
    "data-autofocus": true,
    data: { focus: "condition-field" },
  });
  for (const set of data.conditionSets || []) {
    const group = h("optgroup", { label: set.label });
    for (const field of set.fields || []) {
      group.append(h("option", { value: fieldId(set.id, field.name), text: `${set.label}: ${field.label}` }));
    }
    if (group.childElementCount) select.append(group);
  }
  if (state.choice.has(item.key)) select.value = state.choice.get(item.key);
  return select;
}

async function submitCondition(event, key, form, select, error) {
  event.preventDefault();
  const chosen = state.conditionFields.get(select.value);
  if (!chosen) return;
  clearFieldErrors(form);
  showError(error, "");
  const inputs = Array.from(form.querySelectorAll(".gargoyle-condition-inputs [name]"));
  const problem = checkInputs(chosen.field, inputs);
  if (problem) {
    showError(error, problem.message);
    markInvalid(problem.input, error);
    return;
  }
  const mode = form.querySelector("input[name=mode]:checked")?.value || "include";
  const body = { key, id: chosen.set.id, field: chosen.field.name, mode };
  for (const input of inputs) body[input.name] = input.value.trim();
  markSending(form, true);
  try {
    const updated = await api("addCondition", { method: "POST", body });
    state.choice.set(key, select.value);
    state.modes.set(key, mode);
    markSent(form);
    notify("switch-stored", { item: updated, focus: "condition-field" });
    const change = updated.changeSummary || t("nothingChanged");
    announce(t("changeOf", { label: switchLabel(updated), change }));
  } catch (failure) {
    showError(error, failure.message);
    const invalid = form.querySelector(".gargoyle-condition-inputs [name]");
    if (invalid) markInvalid(invalid, error);
  } finally {
    markSending(form, false);
  }
}
