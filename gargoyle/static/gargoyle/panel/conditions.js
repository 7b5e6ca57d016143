// Conditions: a switch's condition chips (with their remove buttons), and the "Add a
// condition" form, whose inputs follow the type of the chosen field.

import { api } from "./api.js";
import { announce, clearFieldErrors, h, showError } from "./dom.js";
import { can, data, fieldId, notify, STATUS, state, switchLabel } from "./state.js";
import { t } from "./text.js";

// A field's "type" is its Python class's panel_type. Besides the built-in types (see
// buildFieldInputs), a field may name one of these <input> types, and gets that input;
// any other type gets a text input. These and no others: "file", "checkbox", "hidden"...
// would send something the API cannot take, or nothing.
const INPUT_TYPES = new Set("datetime-local email month number search tel text time url week".split(" "));

// -- the chips ----------------------------------------------------------------------------

/** The switch's conditions, grouped by condition set; null when there is nothing to show. */
export function buildConditions(item, label) {
  const groups = (item.conditions || []).filter((group) => group.conditions.length);
  if (!groups.length) {
    if (item.status !== STATUS.SELECTIVE || item.problem) return null;
    return h("p", { class: "gargoyle-no-conditions", text: t("noConditions") });
  }
  const list = h("dl", { class: "gargoyle-conditions", "aria-label": t("conditionsOf", { label }) });
  for (const group of groups) {
    const chips = h("ul", { class: "gargoyle-chips" });
    group.conditions.forEach((condition, index) => chips.append(buildChip(item, group, condition, index)));
    list.append(h("div", { class: "gargoyle-condition-group" }, h("dt", { text: group.label }), h("dd", {}, chips)));
  }
  return list;
}

function buildChip(item, group, [fieldName, condition, display, exclude], index) {
  const modeText = exclude ? t("exclude") : t("include");
  const described = `${modeText}: ${group.label} ${display}`;
  const chip = h(
    "li",
    { class: `gargoyle-chip gargoyle-chip-${exclude ? "exclude" : "include"}` },
    exclude
      ? h("span", { class: "gargoyle-chip-mode", "aria-hidden": "true", title: t("excludeHelp"), text: t("not") })
      : null,
    h("span", { class: "gargoyle-sr-only", text: `${modeText}: ` }),
    h("span", { class: "gargoyle-chip-text", text: display }),
  );
  if (!can.change) return chip;
  const remove = (event) => removeCondition(event.currentTarget, item.key, group.id, fieldName, condition, described);
  chip.append(
    h(
      "button",
      {
        type: "button",
        class: "gargoyle-chip-remove",
        "aria-label": t("removeCondition", { condition: described }),
        title: t("remove"),
        data: { focus: `chip-${group.id}-${index}` },
        on: { click: remove },
      },
      h("span", { "aria-hidden": "true", text: "×" }),
    ),
  );
  return chip;
}

async function removeCondition(button, key, setId, fieldName, condition, described) {
  const item = state.switches.get(key);
  if (!item || button.getAttribute("aria-disabled") === "true") return;
  // Not `disabled`: that would drop the keyboard focus the next lines move on.
  button.setAttribute("aria-disabled", "true");
  try {
    const body = { key, id: setId, field: fieldName, value: condition };
    const updated = await api("removeCondition", { method: "POST", body });
    notify("switch-stored", { item: updated });
    const row = state.rows.get(key);
    // The removed chip's button is gone: focus the next chip's, or the row's tools.
    (row.querySelector(".gargoyle-chip-remove") || row.querySelector('[data-focus^="tool-"]'))?.focus();
    announce(t("conditionRemoved", { label: switchLabel(updated), condition: described }));
  } catch (error) {
    announce(error.message, "error");
  } finally {
    button.removeAttribute("aria-disabled");
  }
}

// -- the "Add a condition" form -------------------------------------------------------------

export function buildConditionForm(item, panel, id) {
  const label = switchLabel(item);
  panel.append(h("h3", { id: `${id}-panel-title`, text: t("addConditionTo", { label }) }));
  const selectId = `${id}-field`;
  const select = buildFieldSelect(item, selectId);
  const inputs = h("div", { class: "gargoyle-condition-inputs" });
  const help = h("p", { class: "help gargoyle-condition-help", id: `${id}-help` });
  const exclude = h("input", {
    type: "checkbox",
    id: `${id}-exclude`,
    name: "exclude",
    value: "1",
    data: { focus: "condition-exclude" },
  });
  const error = h("p", { class: "errornote gargoyle-inline-error", role: "alert", hidden: true });
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
    help,
    buildExcludeRow(exclude),
    error,
    h("div", { class: "gargoyle-form-buttons" }, submit, buildCancel(item)),
  );
  form.addEventListener("submit", (event) => submitCondition(event, item.key, form, select, exclude, error, submit));
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

function buildExcludeRow(exclude) {
  return h(
    "div",
    { class: "gargoyle-condition-row gargoyle-condition-mode" },
    h("label", { class: "gargoyle-checkbox", for: exclude.id }, exclude, " ", t("excludeLabel")),
    h("span", { class: "help", text: t("excludeExplained") }),
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
    notify("switch-stored", { item: updated, focus: "condition-field" });
    const condition = `${chosen.set.label}: ${chosen.field.label}`;
    announce(t("conditionAdded", { label: switchLabel(updated), condition }));
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
