// Times on every page are the daemon's clock, shown in the branch's time
// zone (hello's `timezone`).  The browser's own clock may be wrong, and a
// test daemon's clock jumps (clock.advance), so each page keeps the offset
// between the two, learnt from `ping` and from every event's `at`.

let offsetMs = 0;
let zone = "Asia/Shanghai";

export function setZone(tz) {
	if (tz)
		zone = tz;
}

export function branchZone() {
	return zone;
}

// The daemon said it is `iso` now.
export function observe(iso) {
	const t = Date.parse(iso);
	if (!Number.isNaN(t))
		offsetMs = t - Date.now();
}

// Milliseconds since the epoch on the daemon's clock.
export function now() {
	return Date.now() + offsetMs;
}

function parts(ms, options) {
	return new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", ...options })
		.format(new Date(ms));
}

// "14:05" (and "14:05:09" with seconds) in the branch's zone.
export function clockText(msOrIso, seconds = false) {
	const ms = typeof msOrIso === "string" ? Date.parse(msOrIso) : msOrIso;
	return parts(ms, { hour: "2-digit", minute: "2-digit",
		...(seconds ? { second: "2-digit" } : {}) });
}

// "2026-12-06" in the branch's zone: a business date.
export function dateText(ms) {
	const p = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric",
		month: "2-digit", day: "2-digit" }).format(new Date(ms));
	return p;
}

// Whole seconds between an RFC 3339 time and now, never negative.
export function secondsSince(iso) {
	return Math.max(0, Math.floor((now() - Date.parse(iso)) / 1000));
}

// 754 → "12:34"; 3754 → "1:02:34": a running timer.
export function timerText(s) {
	const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
	const mm = String(m).padStart(h > 0 ? 2 : 1, "0"), ss = String(sec).padStart(2, "0");
	return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

// Whole minutes, rounded up (a wait is never promised shorter than it is).
export function minutes(s) {
	return Math.ceil(s / 60);
}
