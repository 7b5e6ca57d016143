// The catalogue's sale banner, kept up to date without a reload.
//
// gargoyle/switches.js reads the answers {% client_switches %} put into the page (those of
// GARGOYLE_CLIENT_SWITCHES in demo/settings.py, judged for this visitor), so nothing is asked
// at first. It asks the shop again when this tab comes back into view and every 30 seconds
// while it is shown: one small POST, answered "304 Not Modified" until a switch changes.
// Flip catalogue_banner in the panel, come back here, and the banner goes (or comes back);
// the line under it says when the switches were last checked.

// Relative to this file: static/shop/catalogue.js -> static/gargoyle/switches.js.
import gargoyle from "../gargoyle/switches.js";

const EVERY = 30_000; // milliseconds
const banner = document.getElementById("sale-banner");
const intro = document.getElementById("intro");
const line = document.getElementById("live-switches");

function showBanner() {
  const on = gargoyle.isActive("catalogue_banner");
  banner.hidden = !on;
  intro.hidden = on;
}

function say(text, state) {
  line.textContent = text;
  line.dataset.state = state;
}

async function check() {
  const time = new Date().toLocaleTimeString();
  try {
    if (await gargoyle.refresh()) {
      say(`Switches changed (checked at ${time}): the banner is now ${banner.hidden ? "off" : "on"}.`, "changed");
    } else {
      say(`Switches checked at ${time}: no change.`, "same");
    }
  } catch {
    say(`The shop could not be reached at ${time}: the banner stays as it was.`, "failed");
  }
}

gargoyle.onChange(showBanner); // before check() says what happened: the banner is already updated
showBanner();
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") check();
});
window.addEventListener("focus", check); // a refresh already on its way is shared, not repeated
setInterval(() => {
  if (document.visibilityState === "visible") check();
}, EVERY);
