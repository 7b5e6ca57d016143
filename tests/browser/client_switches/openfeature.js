// The OpenFeature web SDK with its OFREP provider, pointed at the site: the same bulk
// endpoint gargoyle/switches.js asks. It polls every half second, so a switch flipped in the
// panel reaches it without a reload.
import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import gargoyle from "/static/gargoyle/switches.js";

const client = OpenFeature.getClient();

function show() {
  document.getElementById("checkout").textContent = client.getBooleanValue("checkout", false) ? "on" : "off";
}

window.openFeature = client;
window.gargoyleSwitches = gargoyle;
client.addHandler(ProviderEvents.ConfigurationChanged, show);
await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl: window.location.origin, pollInterval: 500 }));
show();
document.body.classList.add("ready");
