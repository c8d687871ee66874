// The supervisor screen's small formatting helpers: durations, shares,
// money for files, and what an operation's error means to a person.

import { ApiError } from "/lib/api.js";
import { t } from "/lib/i18n.js";
import { timerText } from "/lib/time.js";

// 3720 → "1 小时 2 分" / "1 h 2 min" (whole minutes, rounded down).
export function duration(s) {
	const m = Math.floor(Math.max(0, s) / 60);
	return t("supervisor.hours", Math.floor(m / 60), m % 60);
}

// 0.6667 → "66.7%"; null or missing → "—".
export function share(x) {
	if (typeof x !== "number")
		return t("supervisor.none");
	const tenths = Math.round(x * 1000);
	return t("supervisor.percent", `${Math.trunc(tenths / 10)}.${Math.abs(tenths % 10)}`);
}

// A figure from the daemon as text; "—" when it is missing.
export function figure(x) {
	if (typeof x !== "number")
		return t("supervisor.none");
	return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

// Integer fen → "1500.50": yuan with two decimals, no grouping (for CSV
// files and tables), from integers only.
export function yuan(fen) {
	if (typeof fen !== "number" || !Number.isSafeInteger(fen))
		return "";
	const abs = Math.abs(fen);
	return `${fen < 0 ? "-" : ""}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

// Seconds → minutes with one decimal, for charts of time.
export function minutesOf(s) {
	return typeof s === "number" ? Math.round(s / 6) / 10 : null;
}

// What went wrong, in the page's language.
export function errorText(err) {
	if (err instanceof ApiError) {
		const known = ["not_found", "conflict", "forbidden", "bad_request", "unavailable"];
		return t(`supervisor.errors.${known.includes(err.code) ? err.code : "other"}`);
	}
	return t("supervisor.errors.network");
}

// Calls fn at most once per `gapMs`, and never sooner than `settleMs`
// after the last request: a burst of events makes one call.
export function throttled(fn, gapMs, settleMs = 500) {
	let last = -Infinity, timer = null;
	return function request() {
		if (timer !== null)
			return;
		const wait = Math.max(settleMs, last + gapMs - Date.now());
		timer = setTimeout(async () => {
			timer = null;
			last = Date.now();
			try {
				await fn();
			} catch {
				/* shown by fn itself; the next event tries again */
			}
		}, wait);
	};
}

// Seconds as "12:34" (or "1:02:34"); "—" when missing.
export function timerTextOrNone(s) {
	return typeof s === "number" ? timerText(Math.round(s)) : t("supervisor.none");
}
