// The "Add a condition" form: the field menu, inputs that follow the chosen field's type,
// include or exclude, checks before the round trip, and the request.

import { api } from "./api.js";
import { announce, clearFieldErrors, h, showError } from "./dom.js";
import { data, fieldId, notify, state, switchLabel } from "./state.js";
import { t } from "./text.js";

// A field's "type" is its Python class's panel_type. Besides the built-in types (see
// buildFieldInputs), a field may name one of these <input> types, and gets that input;
// any other type gets a text input. These and no others: "file", "checkbox", "hidden"...
// would send something the API cannot take, or nothing.
const INPUT_TYPES = new Set("datetime-local email month number search tel text time url week".split(" "));

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
  form.addEventListener("submit", (event) => submitCondition(event, item.key, form, select, error, submit));
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

/** Include or exclude: an explicit choice, kept for the row until it is changed. */
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
    h("span", { class: "help", id: `${id}-mode-help`, text: t("excludeExplained") }),
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

/** The inputs of one field type, named as the API expects them. */
function buildFieldInputs(field, id) {
  const inputId = `${id}-value`;
  const described = `${id}-help`;
  switch (field.type) {
    case "percent":
    case "range":
      return [rangePart(field, inputId, described, "min", "from"), rangePart(field, inputId, described, "max", "to")];
    case "boolean":
      return [h("p", { class: "gargoyle-boolean-note", text: t("booleanNote", { field: field.label }) })];
    case "choice":
      return [valueInput(inputId, t("value"), buildChoiceSelect(field, inputId, described))];
    case "date": {
      const attributes = { type: "date", id: inputId, name: field.name, required: true, "aria-describedby": described };
      return [valueInput(inputId, t("date"), h("input", attributes))];
    }
    default: // "string", an <input> type, or a type this page does not know
      return [valueInput(inputId, field.label, buildTextInput(field, inputId, described))];
  }
}

function valueInput(inputId, label, input) {
  return h("div", { class: "gargoyle-value" }, h("label", { for: inputId, text: label }), input);
}

/** One end of a range ("from" or "to"); a percent is a number from 0 to 100. */
function rangePart(field, inputId, described, suffix, textKey) {
  const percent = field.type === "percent";
  return h(
    "div",
    { class: "gargoyle-range-part" },
    h("label", { for: `${inputId}-${suffix}`, text: t(textKey) }),
    h("input", {
      type: "number",
      id: `${inputId}-${suffix}`,
      name: `${field.name}[${suffix}]`,
      class: "gargoyle-number",
      inputmode: "decimal",
      step: percent ? "0.01" : "1",
      min: percent ? "0" : null,
      max: percent ? "100" : null,
      required: true,
      "aria-describedby": described,
    }),
    percent ? h("span", { class: "gargoyle-unit", "aria-hidden": "true", text: "%" }) : null,
  );
}

function buildChoiceSelect(field, inputId, described) {
  const select = h("select", { id: inputId, name: field.name, required: true, "aria-describedby": described });
  for (const choice of field.choices || []) {
    const { value, label } = choice && typeof choice === "object" ? choice : { value: choice, label: choice };
    select.append(h("option", { value: String(value), text: String(label) }));
  }
  return select;
}

function buildTextInput(field, inputId, described) {
  return h("input", {
    type: INPUT_TYPES.has(field.type) ? field.type : "text",
    id: inputId,
    name: field.name,
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": described,
  });
}

/** What is wrong with the form's inputs for ``field``, as {message, input}; null when nothing is. */
function checkInputs(field, inputs) {
  const named = (suffix) => inputs.find((input) => input.name === `${field.name}[${suffix}]`);
  for (const input of inputs) {
    if (input.type === "number" && input.validity.badInput) {
      return { message: t("notANumber", { field: field.label }), input };
    }
    if (!input.value.trim()) return { message: t("errorEmpty", { field: field.label }), input };
  }
  const [min, max] = [named("min"), named("max")];
  if ((field.type === "percent" || field.type === "range") && min && max) {
    const [low, high] = [Number(min.value), Number(max.value)];
    if (field.type === "percent") {
      for (const [input, value] of [
        [min, low],
        [max, high],
      ]) {
        if (!(value >= 0 && value <= 100)) return { message: t("errorPercent", { field: field.label }), input };
      }
    }
    if (low > high) {
      return { message: t("errorReversed", { field: field.label, from: min.value, to: max.value }), input: min };
    }
  }
  for (const input of inputs) {
    if (input.type === "email" && input.validity.typeMismatch) {
      return { message: t("errorEmail", { field: field.label, value: input.value.trim() }), input };
    }
  }
  return null;
}

function markInvalid(input, error) {
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-errormessage", error.id);
  input.focus();
}

async function submitCondition(event, key, form, select, error, submit) {
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
  const exclude = form.querySelector("input[name=mode]:checked")?.value === "exclude";
  const body = { key, id: chosen.set.id, field: chosen.field.name, exclude: exclude ? "1" : "0" };
  for (const input of inputs) body[input.name] = input.value.trim();
  submit.disabled = true;
  try {
    const updated = await api("addCondition", { method: "POST", body });
    state.choice.set(key, select.value);
    state.modes.set(key, exclude ? "exclude" : "include");
    notify("switch-stored", { item: updated, focus: "condition-field" });
    const change = updated.changeSummary || t("nothingChanged");
    announce(t("changeOf", { label: switchLabel(updated), change }));
  } catch (failure) {
    showError(error, failure.message);
    const invalid = form.querySelector(".gargoyle-condition-inputs [name]");
    if (invalid) markInvalid(invalid, error);
  } finally {
    submit.disabled = false;
  }
}
