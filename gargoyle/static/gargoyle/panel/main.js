// The switch panel's entry point: reads the page's data (#gargoyle-data), wires the toolbar
// and the dialogs, shows the list, and opens the add dialog when Django's "Add switch" page
// led here (?add=1).
//
// Plain ES modules, no dependencies, loaded with relative imports: the page runs under a
// strict Content-Security-Policy (script-src 'self'), so nothing is inline or evaluated.

import { setupConfirmDialog } from "./dialogs.js";
import { dom } from "./dom.js";
import { renderList } from "./list.js";
import { readUrlState } from "./search.js";
import { can, data, loadPageData, setSwitches } from "./state.js";
import { openSwitchDialog, setupSwitchDialog } from "./switch-dialog.js";
import { relativeTime } from "./text.js";
import { setupToolbar } from "./toolbar.js";

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
  setupToolbar();
  setupSwitchDialog();
  setupConfirmDialog();
  keepDatesFresh();
  renderList();
  dom.panel.removeAttribute("aria-busy");
  dom.panel.classList.add("gargoyle-ready");
  openAddDialogIfAsked();
}

start();
