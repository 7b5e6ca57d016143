// The condition chips: a switch's conditions grouped by condition set, each with its remove
// button, and the placeholder with an "Undo" that keeps a removed chip's place for a moment.
// The "Add a condition" form is condition-form.js.

import { api } from "./api.js";
import { announceUndoable, undoChange } from "./dialogs.js";
import { announce, h } from "./dom.js";
import { can, notify, STATUS, state, switchLabel } from "./state.js";
import { chipText, t } from "./text.js";

// -- the chips ----------------------------------------------------------------------------

// A removed chip keeps its place for a moment, as a placeholder with an "Undo": the next chip
// does not slide under the pointer, and clicks on the row's chips are ignored meanwhile.
const PLACEHOLDER_MS = 6000;
const QUIET_MS = 600;
const removed = new Map(); // key -> { setId, index, condition, changeId, until }
const quietUntil = new Map(); // key -> the time until which clicks on its chips are ignored

/** The switch's conditions, grouped by condition set; null when there is nothing to show. */
export function buildConditions(item, label) {
  const placeholder = currentPlaceholder(item.key);
  const groups = (item.conditions || []).filter(
    (group) => group.conditions.length || (placeholder && placeholder.setId === group.id),
  );
  if (placeholder && !groups.some((group) => group.id === placeholder.setId)) {
    groups.push({ id: placeholder.setId, label: placeholder.groupLabel, conditions: [] }); // its last condition went
  }
  if (!groups.length) {
    if (item.status !== STATUS.SELECTIVE || item.problem) return null;
    return h("p", { class: "gargoyle-no-conditions", text: t("noConditions") });
  }
  const list = h("dl", { class: "gargoyle-conditions", "aria-label": t("conditionsOf", { label }) });
  for (const group of groups) {
    const chips = h("ul", { class: "gargoyle-chips" });
    group.conditions.forEach((condition, index) => chips.append(buildChip(item, group, condition, index)));
    if (placeholder && placeholder.setId === group.id) {
      chips.insertBefore(buildPlaceholder(item.key, placeholder), chips.children[placeholder.index] || null);
    }
    list.append(h("div", { class: "gargoyle-condition-group" }, h("dt", { text: group.label }), h("dd", {}, chips)));
  }
  return list;
}

// A chip per mode ("i", "e", "r" as stored): its class, its words and the mark before it.
const CHIP_MODES = {
  i: { name: "include", text: "include", help: null, mark: null },
  e: { name: "exclude", text: "exclude", help: "excludeHelp", mark: "not" },
  r: { name: "required", text: "required", help: "requiredHelp", mark: "only" },
};

function buildChip(item, group, [fieldName, condition, display, exclude, stored], index) {
  const mode = CHIP_MODES[stored] ? stored : exclude ? "e" : "i";
  const shown = CHIP_MODES[mode];
  const modeText = t(shown.text);
  const described = `${modeText}: ${group.label} ${display}`;
  const chip = h(
    "li",
    { class: `gargoyle-chip gargoyle-chip-${shown.name}`, title: shown.help ? t(shown.help) : null },
    shown.mark ? h("span", { class: "gargoyle-chip-mode", "aria-hidden": "true", text: t(shown.mark) }) : null,
    h("span", { class: "gargoyle-sr-only", text: `${modeText}: ` }),
    h("span", { class: "gargoyle-chip-text", text: display }),
  );
  if (!can.change) return chip;
  const what = chipText(display, mode);
  const remove = (event) =>
    removeCondition(event.currentTarget, item.key, { setId: group.id, groupLabel: group.label, index }, fieldName, condition, what);
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

function currentPlaceholder(key) {
  const placeholder = removed.get(key);
  if (placeholder && placeholder.until > Date.now()) return placeholder;
  removed.delete(key);
  return null;
}

/** Where a removed chip was: "Removed: ..." and, with a change to undo, an "Undo" button. */
function buildPlaceholder(key, placeholder) {
  const box = h(
    "li",
    { class: "gargoyle-chip-placeholder" },
    h("span", { class: "gargoyle-chip-text", text: t("removedPlaceholder", { condition: placeholder.condition }) }),
  );
  if (placeholder.changeId !== null && placeholder.changeId !== undefined) {
    box.append(
      h("button", {
        type: "button",
        class: "gargoyle-chip-undo",
        "aria-label": t("undoOf", { what: t("removedPlaceholder", { condition: placeholder.condition }) }),
        data: { focus: "chip-undo" },
        text: t("undo"),
        on: {
          click: () => {
            // It sits where the removed chip's "×" was: the second click of a double click is no undo.
            if ((quietUntil.get(key) || 0) <= Date.now()) undoChange(placeholder.changeId, placeholder.undo);
          },
        },
      }),
    );
  }
  return box;
}

async function removeCondition(button, key, place, fieldName, condition, what) {
  const item = state.switches.get(key);
  if (!item || button.getAttribute("aria-disabled") === "true") return;
  // A second click of a double click (or an impatient one) lands on the chip that slid in.
  if ((quietUntil.get(key) || 0) > Date.now()) return;
  quietUntil.set(key, Date.now() + QUIET_MS);
  // Not `disabled`: that would drop the keyboard focus the next lines move on.
  button.setAttribute("aria-disabled", "true");
  try {
    const body = { key, id: place.setId, field: fieldName, value: condition };
    const updated = await api("removeCondition", { method: "POST", body });
    quietUntil.set(key, Date.now() + QUIET_MS);
    const changeId = updated.changeId;
    const undo = { key, focus: `chip-${place.setId}-${place.index}`, onUndo: () => removed.delete(key) };
    removed.set(key, { ...place, condition: what, changeId, undo, until: Date.now() + PLACEHOLDER_MS });
    window.setTimeout(() => {
      if (removed.get(key)?.changeId === changeId && state.rows.has(key)) {
        removed.delete(key);
        notify("row-changed", { key });
      }
    }, PLACEHOLDER_MS + 50);
    notify("switch-stored", { item: updated });
    const row = state.rows.get(key);
    // The removed chip's button is gone: focus the next chip's, or the row's tools.
    (row.querySelector(".gargoyle-chip-remove") || row.querySelector('[data-focus^="tool-"]'))?.focus();
    const change = updated.changeSummary || t("nothingChanged");
    const message = t("changeOf", { label: switchLabel(updated), change });
    announceUndoable(message, changeId, { ...undo, what: t("removedPlaceholder", { condition: what }) });
  } catch (error) {
    announce(error.message, "error");
  } finally {
    button.removeAttribute("aria-disabled");
  }
}
