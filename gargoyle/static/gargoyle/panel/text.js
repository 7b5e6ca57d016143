// Texts and the page's language: the translated strings the page carries in #gargoyle-text
// (filled in by t(), as plain text), and dates and sorting in the page's language.

const LANG = document.documentElement.lang || undefined;
const TEXT = readText();
const RELATIVE_STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
];

export const collator = new Intl.Collator(LANG, { sensitivity: "base", numeric: true });
const relativeFormat = new Intl.RelativeTimeFormat(LANG, { numeric: "auto" });
const dateFormat = new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short" });

function readText() {
  const text = {};
  for (const node of document.querySelectorAll("#gargoyle-text [data-text]")) {
    text[node.dataset.text] = node.textContent.trim().replace(/\s+/g, " ");
  }
  return text;
}

/** The translated text ``key`` with its {placeholders} filled in (as plain text). */
export function t(key, params = {}) {
  const template = Object.hasOwn(TEXT, key) ? TEXT[key] : key;
  return template.replace(/\{(\w+)\}/g, (match, name) => (Object.hasOwn(params, name) ? String(params[name]) : match));
}

const numberFormat = new Intl.NumberFormat(LANG);
const shareFormat = new Intl.NumberFormat(LANG, { style: "percent", maximumFractionDigits: 1 });
const dayFormat = new Intl.DateTimeFormat(LANG, { month: "short", day: "numeric", timeZone: "UTC" });

/** 12345 -> "12,345" in the page's language. */
export function formatNumber(number) {
  return numberFormat.format(number);
}

/** 0.314 -> "31.4%" in the page's language. */
export function formatShare(share) {
  return shareFormat.format(share);
}

/** "2026-12-05" (a UTC day) -> "Dec 5". */
export function formatDay(isoDay) {
  return dayFormat.format(new Date(`${isoDay}T00:00:00Z`));
}

export function formatDate(date) {
  return Number.isNaN(date.getTime()) ? "" : dateFormat.format(date);
}

/** "just now", "5 minutes ago", "in 2 days"... */
export function relativeTime(date) {
  let value = Math.round((date.getTime() - Date.now()) / 1000);
  for (const [size, unit] of RELATIVE_STEPS) {
    if (Math.abs(value) < size) {
      return unit === "second" && Math.abs(value) < 45 ? t("justNow") : relativeFormat.format(Math.round(value), unit);
    }
    value /= size;
  }
  return relativeFormat.format(Math.round(value), "year");
}

/** A date as a wall clock in ``zone`` shows it (an IANA name), in the page's language. */
export function formatDateIn(date, zone) {
  if (Number.isNaN(date.getTime())) return "";
  try {
    return new Intl.DateTimeFormat(LANG, { dateStyle: "medium", timeStyle: "short", timeZone: zone }).format(date);
  } catch {
    return dateFormat.format(date); // a zone this browser does not know
  }
}

/** A condition's text by its mode ("i", "e", "r" as stored): "25% (0-25)" for an include,
 * "not 10.0.0.1" for an exclude, "only if Staff" for a required condition. */
export function chipText(display, mode) {
  if (mode === "e") return t("exceptCondition", { condition: display });
  if (mode === "r") return t("requiredCondition", { condition: display });
  return display;
}
