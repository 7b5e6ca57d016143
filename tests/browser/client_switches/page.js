// The test page's script: shows what gargoyle/switches.js says, and keeps the module on
// window so that the tests can call refresh() and flags().
import gargoyle from "/static/gargoyle/switches.js";

const element = document.body.dataset.element;
if (element !== "gargoyle-client-switches") gargoyle.load(element);

const heard = [];

function show() {
  document.getElementById("checkout").textContent = gargoyle.isActive("checkout") ? "on" : "off";
  document.getElementById("changes").textContent = heard.length ? JSON.stringify(heard) : "none";
}

gargoyle.onChange((changed) => {
  heard.push(changed);
  show();
});
show();
window.gargoyleSwitches = gargoyle;
document.body.classList.add("ready");
