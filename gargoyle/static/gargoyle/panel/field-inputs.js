// The inputs of a condition field, following its type (two numbers for a range or percent,
// a menu for a choice, a date, text...), named as the JSON API expects them, and the checks
// made before the round trip. The condition form and the schedule form both use them.

import { h } from "./dom.js";
import { t } from "./text.js";

// A field's "type" is its Python class's panel_type. Besides the built-in types (see
// buildFieldInputs), a field may name one of these <input> types, and gets that input;
// any other type gets a text input. These and no others: "file", "checkbox", "hidden"...
// would send something the API cannot take, or nothing.
const INPUT_TYPES = new Set("datetime-local email month number search tel text time url week".split(" "));

/** The inputs of one field type, named as the API expects them. */
export function buildFieldInputs(field, id) {
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
export function checkInputs(field, inputs) {
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

export function markInvalid(input, error) {
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-errormessage", error.id);
  input.focus();
}
