// The switch panel's entry point: reads the page's data (#gargoyle-data), wires the toolbar,
// the dialogs and the panel's events, shows the list, and opens the add dialog when Django's
// "Add switch" page led here (?add=1).
//
// Plain ES modules, no dependencies, loaded with relative imports: the page runs under a
// strict Content-Security-Policy (script-src 'self'), so nothing is inline or evaluated.
// Imports point one way only: main -> list -> row -> features -> base modules (see
// tests/test_panel_modules.py); the features speak to the layers above with events.

import { renderBulkBar, setupBulk } from "./bulk.js";
import { setupConfirmDialog } from "./dialogs.js";
import { dom } from "./dom.js";
import {
  addSwitch,
  refreshRow,
  removeSwitch,
  renderList,
  setFilter,
  setOrder,
  setQuery,
  showSwitches,
  storeSwitch,
} from "./list.js";
import { togglePanel } from "./row.js";
import { readUrlState } from "./search.js";
import { can, data, events, loadPageData, setSwitches } from "./state.js";
import { openSwitchDialog, setupSwitchDialog } from "./switch-dialog.js";
import { relativeTime } from "./text.js";
import { setupToolbar } from "./toolbar.js";

/** Who answers each of the panel's events (state.js says what each one carries). */
const ANSWERS = {
  "switch-stored": ({ item, oldKey, focus }) => storeSwitch(item, oldKey, focus),
  "switch-added": ({ item }) => addSwitch(item),
  "switch-deleted": ({ key }) => removeSwitch(key),
  "switches-loaded": (fresh) => showSwitches(fresh),
  "row-changed": ({ key, focus }) => refreshRow(key, focus),
  "toggle-tool": ({ key, name }) => togglePanel(key, name),
  "set-query": ({ query }) => setQuery(query),
  "set-order": ({ order }) => setOrder(order),
  "set-filter": ({ filter }) => setFilter(filter),
  "selection-changed": () => renderBulkBar(),
  "open-switch-dialog": ({ key, opener }) => openSwitchDialog(key, opener),
};

function answerEvents() {
  for (const [name, answer] of Object.entries(ANSWERS)) {
    events.addEventListener(name, (event) => answer(event.detail));
  }
}

/** Relative dates ("5 minutes ago") age while the page is open. */
function keepDatesFresh() {
  window.setInterval(() => {
    for (const time of dom.list.querySelectorAll("time[datetime]")) {
      time.textContent = relativeTime(new Date(time.getAttribute("datetime")));
    }
  }, 60000);
}

/** Django's "Add switch" page leads here with ?add=1. */
function openAddDialogIfAsked() {
  const url = new URL(window.location.href);
  if (!url.searchParams.has("add")) return;
  url.searchParams.delete("add");
  window.history.replaceState(null, "", url);
  if (can.add) openSwitchDialog(null, dom.add);
}

function start() {
  loadPageData(JSON.parse(document.getElementById("gargoyle-data").textContent));
  readUrlState();
  setSwitches(data.switches || []);
  answerEvents();
  setupToolbar();
  setupBulk();
  setupSwitchDialog();
  setupConfirmDialog();
  keepDatesFresh();
  renderList();
  dom.panel.removeAttribute("aria-busy");
  dom.panel.classList.add("gargoyle-ready");
  openAddDialogIfAsked();
}

start();
