// What staff should know about a switch besides its conditions: stored values the model
// would refuse today (a status outside 1-4, a label too long...), and answers that changed
// at the upgrade from gargoyle-yplan, with a button to mark the switch reviewed once its
// new answers are right.

import { api } from "./api.js";
import { announce, h } from "./dom.js";
import { can, notify, switchLabel } from "./state.js";
import { t } from "./text.js";

// Stored values to fix (gargoyle.upgrade.STORED_CODES): marking the switch reviewed does not clear them.
const STORED = new Set(["status", "key", "label", "description"]);

/** The switch's notices, or null when it has none. */
export function buildNotices(item) {
  const notices = item.notices || [];
  if (!notices.length) return null;
  const label = switchLabel(item);
  const box = h("div", { class: "gargoyle-notices", role: "group", "aria-label": t("noticesOf", { label }) });
  for (const notice of notices) {
    const badge = STORED.has(notice.code) ? t("noticeStored") : t("noticeUpgrade");
    box.append(
      h(
        "p",
        { class: `gargoyle-notice gargoyle-notice-${notice.code}` },
        h("span", { class: "gargoyle-badge gargoyle-badge-notice", text: badge }),
        " ",
        notice.message,
      ),
    );
  }
  if (can.change && notices.some((notice) => !STORED.has(notice.code))) {
    box.append(
      h("button", {
        type: "button",
        class: "button gargoyle-small gargoyle-mark-reviewed",
        data: { focus: "mark-reviewed" },
        "aria-label": t("markReviewedOf", { label }),
        text: t("markReviewed"),
        on: { click: (event) => markReviewed(item.key, event.currentTarget) },
      }),
    );
  }
  return box;
}

async function markReviewed(key, button) {
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  try {
    const updated = await api("markReviewed", { method: "POST", body: { key } });
    notify("switch-stored", { item: updated, focus: "tool-condition" });
    announce(t("markedReviewed", { label: switchLabel(updated) }));
  } catch (error) {
    announce(error.message, "error");
  } finally {
    button.removeAttribute("aria-disabled");
  }
}
