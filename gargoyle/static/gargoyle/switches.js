/**
 * gargoyle's switches in the browser: `isActive("key")` for the current visitor.
 *
 * The page carries its first answers in the element that `{% client_switches %}` renders
 * (`<script type="application/json" id="gargoyle-client-switches">`), read when this module
 * is first imported: the first paint needs no request. `refresh()` asks the OFREP bulk
 * endpoint again (`POST ofrep/v1/evaluate/flags`, with the visitor's session) and sends the
 * ETag it holds: a 304 keeps the answers, a 200 replaces them. No build step, no inline
 * script, no eval: it runs under a strict Content-Security-Policy (`script-src 'self'`).
 *
 *     import gargoyle from "/static/gargoyle/switches.js";
 *
 *     if (gargoyle.isActive("quick_view")) showQuickView();
 *     gargoyle.onChange((changed) => console.log("switches changed:", changed));
 *     window.addEventListener("focus", () => gargoyle.refresh().catch(() => {}));
 *
 * Only the switches of GARGOYLE_CLIENT_SWITCHES are ever in the page, each judged for the
 * request (its user and address) by the server; nothing here can ask for another visitor.
 *
 * @module gargoyle/switches
 */

/** The id of the element `{% client_switches %}` renders unless given another. */
export const DEFAULT_ELEMENT_ID = "gargoyle-client-switches";

/** How long a refresh waits for the server, in milliseconds, before it fails. */
const TIMEOUT = 15000;

/**
 * One switch's answer, as the OFREP endpoint gave it.
 *
 * @typedef {object} Answer
 * @property {boolean|undefined} value the answer; undefined when it is the caller's own
 *   default (an Inherit switch without a parent) or the switch could not be evaluated
 * @property {string} reason OFREP's reason: "STATIC", "TARGETING_MATCH", "DISABLED", ...;
 *   "ERROR" for a switch that could not be evaluated
 * @property {string|undefined} variant "on", "off" or "default"
 * @property {string} [errorCode] OFREP's error code ("GENERAL"), only when reason is "ERROR"
 */

/** @type {string|null} the bulk endpoint's URL; null without one (refresh() then fails) */
let url = null;
/** @type {string|null} the ETag of the answers held */
let etag = null;
/** @type {Map<string, Answer>} */
let answers = new Map();
/** @type {Promise<boolean>|null} the refresh on its way */
let pending = null;
/** Counts load() calls: a refresh that started before one drops its answer. */
let generation = 0;
/** @type {Set<function(string[]): void>} */
const listeners = new Set();

/**
 * Read the answers from the element `{% client_switches %}` rendered, replacing those held.
 *
 * The module does it for `#gargoyle-client-switches` when it is first imported; call it for
 * an element of another id (`{% client_switches "my-id" %}`), or for one added later. It
 * does not call the onChange listeners.
 *
 * @param {string} [elementId] the element's id
 * @throws {Error} when there is no such element or it holds no answers
 */
export function load(elementId = DEFAULT_ELEMENT_ID) {
  const element = document.getElementById(elementId);
  if (!element) {
    throw new Error(`gargoyle: no element #${elementId} ({% client_switches %} renders it)`);
  }
  const data = JSON.parse(element.textContent);
  answers = answersOf(data.flags);
  url = typeof data.url === "string" ? data.url : null;
  etag = typeof data.etag === "string" ? data.etag : null;
  generation += 1;
}

/**
 * Whether the switch is on for this visitor.
 *
 * @param {string} key the switch's key
 * @param {boolean} [defaultValue] the answer for a key the page was not given (not in
 *   GARGOYLE_CLIENT_SWITCHES, no such switch) or that has no value (the caller's default,
 *   a switch that could not be evaluated)
 * @returns {boolean}
 */
export function isActive(key, defaultValue = false) {
  const value = answers.get(key)?.value;
  return typeof value === "boolean" ? value : defaultValue;
}

/**
 * Ask the server for the answers again.
 *
 * Sends `{"context": {}}` to the bulk endpoint with the visitor's cookies and the ETag
 * held (`If-None-Match`): a 304 keeps the answers, a 200 replaces them and their ETag, and
 * the onChange listeners hear of every switch whose value changed. A call while a refresh
 * is on its way gets that refresh's promise.
 *
 * @returns {Promise<boolean>} whether the value of any switch changed (one appearing or
 *   disappearing included; a changed reason alone does not count). It rejects, keeping the
 *   answers held, when the page has no endpoint (`url` null: gargoyle.ofrep's URLs are not
 *   mounted), the network fails, the server answers another status, or the request takes
 *   longer than 15 seconds.
 */
export function refresh() {
  if (pending === null) {
    pending = fetchAnswers().finally(() => {
      pending = null;
    });
  }
  return pending;
}

/**
 * Be told after a refresh changed the value of some switch.
 *
 * @param {function(string[]): void} listener called with the keys whose value changed,
 *   sorted, once the new answers are in place (isActive() gives them)
 * @returns {function(): void} a function that stops telling this listener
 */
export function onChange(listener) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/**
 * The answers held, as a new object: changing it changes nothing here.
 *
 * @returns {Object<string, Answer>} key -> {value, reason, variant} (and errorCode for a
 *   switch that could not be evaluated)
 */
export function flags() {
  return Object.fromEntries(Array.from(answers, ([key, answer]) => [key, { ...answer }]));
}

async function fetchAnswers() {
  if (url === null) {
    throw new Error("gargoyle: no endpoint to refresh from (mount gargoyle.ofrep's URLs)");
  }
  const started = generation;
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (etag !== null) headers["If-None-Match"] = etag;
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: JSON.stringify({ context: {} }),
    signal: typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(TIMEOUT) : undefined,
  });
  if (response.status === 304) return false;
  if (response.status !== 200) {
    throw new Error(`gargoyle: the switches could not be refreshed (HTTP ${response.status})`);
  }
  const fresh = answersOf((await response.json()).flags);
  if (started !== generation) return false; // load() replaced the answers meanwhile
  const changed = changedKeys(answers, fresh);
  answers = fresh;
  etag = response.headers.get("ETag");
  if (changed.length > 0) tell(changed);
  return changed.length > 0;
}

/**
 * OFREP's list of evaluations as a map of answers.
 *
 * @param {unknown} list the `flags` of a bulk answer
 * @returns {Map<string, Answer>}
 */
function answersOf(list) {
  if (!Array.isArray(list)) throw new TypeError("gargoyle: the answers are not a list of flags");
  const map = new Map();
  for (const entry of list) {
    if (entry === null || typeof entry !== "object" || typeof entry.key !== "string") continue;
    if (entry.errorCode !== undefined) {
      map.set(entry.key, { value: undefined, reason: "ERROR", variant: undefined, errorCode: entry.errorCode });
    } else {
      map.set(entry.key, { value: entry.value, reason: entry.reason, variant: entry.variant });
    }
  }
  return map;
}

/** The keys whose value differs between two maps of answers, sorted. */
function changedKeys(before, after) {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key)?.value !== after.get(key)?.value).sort();
}

function tell(changed) {
  for (const listener of [...listeners]) {
    try {
      listener([...changed]);
    } catch (error) {
      // One failing listener must not keep the others from hearing of the change.
      if (typeof reportError === "function") reportError(error);
      else console.error(error);
    }
  }
}

// The page's own answers, when it has them under the usual id; a broken element leaves the
// defaults (and says why in the console) instead of failing every module that imports this one.
if (typeof document !== "undefined" && document.getElementById(DEFAULT_ELEMENT_ID)) {
  try {
    load();
  } catch (error) {
    console.error(error);
  }
}

/** The functions above as one object: `import gargoyle from ".../switches.js"`. */
const gargoyle = Object.freeze({ isActive, refresh, onChange, flags, load });
export default gargoyle;
