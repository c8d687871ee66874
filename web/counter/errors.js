// What a refusal from the daemon means to the teller, in the page's words
// (the tables' strings, never the daemon's English message alone).  A
// conflict's `detail` (PROTOCOL "error.detail") says exactly what is wrong.

import { ApiError } from "/lib/api.js";
import { t } from "/lib/i18n.js";

export function explain(err) {
	if (!(err instanceof ApiError))
		return t("counter.errors.offline");
	const d = err.detail ?? {};
	switch (err.code) {
	case "conflict":
		if (d.max_recalls !== undefined && d.recalls < d.max_recalls)
			return t("counter.errors.noShowEarly", d.recalls, d.max_recalls);
		if (d.max_recalls !== undefined)
			return t("counter.errors.recallLimit", d.max_recalls);
		if (d.lane !== undefined)
			return t("counter.errors.sameLane");
		if (d.terminal !== undefined && d.window !== undefined)
			return t("counter.errors.windowHeld", d.window, d.terminal);
		if (d.number !== undefined && d.status !== undefined)
			return t("counter.errors.ticketBusy", d.number, t(`common.statuses.${d.status}`));
		if (d.state === "paused")
			return t("counter.errors.paused");
		return `${t("counter.errors.conflict")} (${err.message})`;
	case "over_authority":
		return t("counter.detail.overAuthority");
	case "forbidden":
		return t("counter.errors.forbidden");
	case "not_found":
		return `${t("counter.errors.notFound")} (${err.message})`;
	case "bad_request":
		return t("counter.errors.badRequest") + err.message;
	case "unavailable":
		return t("counter.errors.unavailable");
	default:
		return t("counter.errors.other") + err.message;
	}
}

// A session that ended (expired on the daemon clock, signed out elsewhere):
// back to the sign-in form, as live.js does for the event stream.
export function sessionEnded(err) {
	if (err instanceof ApiError && err.status === 401) {
		location.reload();
		return true;
	}
	return false;
}
