// How often a switch is checked: the counts every process stores (GARGOYLE_USAGE), as a line
// of figures and a small chart of the last days. The figures come with the switch; nothing
// here asks the server.

import { h } from "./dom.js";
import { data } from "./state.js";
import { formatDay, formatNumber, formatShare, relativeTime, t } from "./text.js";

const SVG = "http://www.w3.org/2000/svg";
const BAR = 5; // width of a day's bar, in px
const GAP = 2;
const HEIGHT = 22;

/** The usage line of a row, or null when checks are not counted and none were stored. */
export function buildUsage(item) {
  const usage = item.usage;
  if (!usage) {
    if (!data.usageCounting && !item.stale) return null;
    const line = h("p", { class: "gargoyle-usage" });
    if (data.usageCounting) line.append(h("span", { class: "gargoyle-usage-none", text: t("usageNever") }));
    if (item.stale) line.append(buildStale(item.stale));
    return line;
  }
  const line = h("p", { class: "gargoyle-usage" });
  line.append(h("span", { class: "gargoyle-usage-figures", text: figuresText(usage) }));
  if (usage.days.some((day) => day.on + day.off > 0)) line.append(buildChart(usage.days));
  if (item.stale) line.append(buildStale(item.stale));
  return line;
}

/** "Stale: ..." with why, for a switch that is a candidate for removal. */
function buildStale(stale) {
  return h(
    "span",
    { class: "gargoyle-stale" },
    h("span", { class: "gargoyle-badge gargoyle-badge-stale", text: t("stale") }),
    " ",
    stale.reason,
  );
}

function figuresText(usage) {
  const parts = [];
  if (usage.checks24h) {
    const share = formatShare(usage.on24h / usage.checks24h);
    parts.push(t("usageDay", { checks: formatNumber(usage.checks24h), share }));
  } else {
    parts.push(t("usageNoneToday"));
  }
  parts.push(t("usageWeek", { checks: formatNumber(usage.checks7d) }));
  if (usage.lastChecked) {
    const when = relativeTime(new Date(usage.lastChecked));
    const byWhom = usage.processes === 1 ? "usageLastByOne" : "usageLastBy";
    parts.push(usage.processes ? t(byWhom, { when, processes: usage.processes }) : t("usageLast", { when }));
  }
  return parts.join(" · ");
}

function svg(tag, attributes, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** A bar per day, its "on" part above its "off" part; each says its figures on hover. */
function buildChart(days) {
  const most = Math.max(...days.map((day) => day.on + day.off), 1);
  const width = days.length * (BAR + GAP) - GAP;
  // The figures are in the text beside it; the chart shows their shape, for the eye only.
  const chart = svg("svg", {
    class: "gargoyle-usage-chart",
    width,
    height: HEIGHT,
    viewBox: `0 0 ${width} ${HEIGHT}`,
    "aria-hidden": "true",
    focusable: "false",
  });
  days.forEach((day, index) => {
    const x = index * (BAR + GAP);
    const total = day.on + day.off;
    const tall = total ? Math.max(1, Math.round((total / most) * HEIGHT)) : 0;
    const onTall = total ? Math.round((day.on / total) * tall) : 0;
    const title = svg("title", {});
    title.textContent = t("usageDayTitle", { day: formatDay(day.day), on: formatNumber(day.on), off: formatNumber(day.off) });
    const group = svg("g", {}, title);
    group.append(svg("rect", { class: "gargoyle-usage-off", x, y: HEIGHT - tall, width: BAR, height: tall - onTall }));
    group.append(svg("rect", { class: "gargoyle-usage-on", x, y: HEIGHT - tall, width: BAR, height: onTall }));
    if (!total) group.append(svg("rect", { class: "gargoyle-usage-zero", x, y: HEIGHT - 1, width: BAR, height: 1 }));
    chart.append(group);
  });
  return chart;
}
