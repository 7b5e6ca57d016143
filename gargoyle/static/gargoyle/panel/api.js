// The JSON API mounted under the admin: one call, with the CSRF token, turning every kind of
// failure (network, lapsed session, server error, refusal) into an ApiError with a message.

import { data } from "./state.js";
import { t } from "./text.js";

class ApiError extends Error {
  constructor(message, status = 0) {
    super(message);
    this.status = status;
  }
}

function csrfToken() {
  const input = document.querySelector("#gargoyle-csrf input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function serverError(response) {
  return new ApiError(t("errorServer", { status: response.status }), response.status);
}

function request(name, method, params, body) {
  const url = new URL(data.urls[name], window.location.href);
  if (params) for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  const init = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" },
  };
  if (method !== "GET") {
    init.headers["X-CSRFToken"] = csrfToken();
    init.body = new URLSearchParams(body || {});
  }
  return [url, init];
}

/** The reply's JSON payload, or an ApiError when it is not JSON. */
async function readPayload(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) {
    // The admin answers a lapsed session with its login page.
    if (response.redirected || response.status === 401 || response.status === 302) {
      throw new ApiError(t("errorSession"), 401);
    }
    throw serverError(response);
  }
  try {
    return await response.json();
  } catch {
    throw serverError(response);
  }
}

// Writes on their way, by endpoint and body: the same click repeated before the first reply
// (a double click, an impatient second click) joins the first request instead of sending
// another one.
const writing = new Map();

/** Call the endpoint ``name`` of ``data.urls``; resolve to the reply's data, reject with an ApiError. */
export function api(name, { method = "GET", params = null, body = null } = {}) {
  if (method === "GET") return call(name, method, params, body);
  const same = `${name} ${new URLSearchParams(body || {})}`;
  if (!writing.has(same)) {
    const sent = call(name, method, params, body).finally(() => writing.delete(same));
    writing.set(same, sent);
  }
  return writing.get(same);
}

async function call(name, method, params, body) {
  const [url, init] = request(name, method, params, body);
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(t("errorNetwork"));
  }
  const payload = await readPayload(response);
  if (!response.ok || !payload || payload.success === false) {
    const message = payload && typeof payload.data === "string" ? payload.data : "";
    throw new ApiError(message || t("errorServer", { status: response.status }), response.status);
  }
  return payload.data;
}
