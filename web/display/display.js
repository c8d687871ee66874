// The lobby display (DOMAIN §6): a TV nobody touches.  It shows each
// window's current call, the call being made now (highlighted for a
// while, one after another), the last 8 calls, how many wait in each lane
// and how long a ticket taken now would wait, the branch and its clock;
// Chinese and English together.  Each new call is spoken from recorded
// clips.  When the daemon goes away it says "offline" and rebuilds itself
// from a snapshot when the daemon is back.

import { op } from "/lib/api.js";
import { tIn } from "/lib/i18n.js";
import { live } from "/lib/live.js";
import { start } from "/lib/page.js";
import { clockText, dateText, minutes, now } from "/lib/time.js";
import { Calls, windowFilter } from "/display/calls.js";
import { Highlights } from "/display/highlight.js";
import { Announcer } from "/display/sound.js";

// A call older than this when the stream comes back is shown, not spoken.
const STALE_S = 60;
// Events that arrive this soon after a snapshot are the ones missed meanwhile.
const REPLAY_MS = 5000;
const LANES = ["counter", "express", "vip", "self_service"];

const $ = (id) => document.getElementById(id);

// One string in both languages, Chinese first, each marked with its language.
function bilingual(key, ...args) {
	const zh = document.createElement("span");
	zh.className = "zh";
	zh.lang = "zh-CN";
	zh.textContent = tIn("zh", key, ...args);
	const en = document.createElement("span");
	en.className = "en";
	en.lang = "en";
	en.textContent = tIn("en", key, ...args);
	return [zh, en];
}

for (const node of document.querySelectorAll("[data-both]"))
	node.replaceChildren(...bilingual(node.dataset.both));

const who = await start({ page: "display", roles: ["display", "supervisor"] });
const calls = new Calls(windowFilter(new URLSearchParams(location.search).get("windows")));
const main = document.querySelector("main");
let highlighted = null;	// the call highlighted now, or null
let lanes = null, selfServiceAvailable = true;

// ---- the branch and its clock ----

$("branch").textContent = who.branch;
function tick() {
	$("clock").textContent = clockText(now(), true);
	$("date").textContent = dateText(now());
}
tick();
setInterval(tick, 500);

// ---- the calls ----

function drawNow(call, fresh) {
	highlighted = fresh ? call : null;
	const box = $("now-call");
	box.classList.toggle("fresh", fresh);
	box.dataset.number = call?.number ?? "";
	box.dataset.window = call?.window ?? "";
	$("now-number").textContent = call?.number ?? "";
	$("now-window").replaceChildren(...(call === null ? bilingual("display.noCall")
		: bilingual("display.window", call.window)));
	drawWindows();
	drawRecent();
}

function isHighlighted(number, window) {
	return highlighted !== null && highlighted.number === number &&
		highlighted.window === window;
}

function drawWindows() {
	const items = [...calls.windows.keys()].sort((a, b) => a - b).map((w) => {
		const call = calls.windows.get(w);
		const li = document.createElement("li");
		li.className = "window-tile";
		li.dataset.window = w;
		li.classList.toggle("fresh", call !== null && isHighlighted(call.number, w));
		const name = document.createElement("p");
		name.className = "window-name";
		name.append(...bilingual("display.window", w));
		const number = document.createElement("p");
		number.className = "window-number";
		number.textContent = call?.number ?? tIn("zh", "common.none");
		li.append(name, number);
		return li;
	});
	$("windows").replaceChildren(...items);
}

function drawRecent() {
	const items = calls.recent.map((c) => {
		const li = document.createElement("li");
		li.dataset.number = c.number;
		li.dataset.window = c.window;
		li.classList.toggle("fresh", isHighlighted(c.number, c.window));
		const number = document.createElement("span");
		number.className = "recent-number";
		number.textContent = c.number;
		const arrow = document.createElement("span");
		arrow.className = "arrow";
		arrow.textContent = "→";
		arrow.setAttribute("aria-hidden", "true");
		const window = document.createElement("span");
		window.className = "recent-window";
		window.append(...bilingual("display.window", c.window));
		const time = document.createElement("time");
		time.className = "recent-time";
		time.dateTime = c.at;
		time.textContent = clockText(c.at);
		li.append(number, arrow, window, time);
		return li;
	});
	$("recent").replaceChildren(...items);
}

const highlights = new Highlights(drawNow);

// ---- the sound ----

const announcement = $("announcement");
const soundButton = $("sound-button");
const announcer = new Announcer({
	onState(state) {
		main.dataset.sound = state;
		soundButton.hidden = state !== "blocked";
	},
	onSpeak(item) {
		announcement.dataset.number = item.number;
		announcement.dataset.window = item.window;
		announcement.dataset.clips = item.clips.filter((c) => c !== null).join(" ");
		announcement.replaceChildren(...bilingual("display.spoken", item.number, item.window));
	},
	onDone() {
		announcement.dataset.announced = Number(announcement.dataset.announced) + 1;
	},
});
soundButton.addEventListener("click", () => announcer.enable());
announcer.preload();

// A call to show, highlight and speak.
function newCall(call) {
	highlights.add(call);
	announcer.say(call);
}

// ---- the lanes ----

function drawLanes() {
	if (lanes === null)
		return;
	const items = LANES.filter((l) => lanes[l]).map((lane) => {
		const l = lanes[lane];
		const li = document.createElement("li");
		li.className = "lane";
		li.dataset.lane = lane;
		const name = document.createElement("p");
		name.className = "lane-name";
		name.append(...bilingual(`display.lanes.${lane}`));
		const count = document.createElement("p");
		count.className = "lane-count";
		const wait = document.createElement("p");
		wait.className = "lane-wait";
		if (lane === "self_service") {
			count.append(...bilingual("display.machines", l.diverted_open ?? 0));
			if (!selfServiceAvailable)
				wait.append(...bilingual("display.selfServiceDown"));
		} else {
			count.append(...bilingual("display.waiting", l.waiting));
			const est = l.estimated_wait_s;
			if (l.open_windows > 0 && typeof est === "number")
				wait.append(...(est < 60 ? bilingual("display.estimateSoon")
					: bilingual("display.estimate", minutes(est))));
			else
				wait.append(...bilingual("display.notOpen"));
		}
		li.append(name, count, wait);
		return li;
	});
	$("lanes").replaceChildren(...items);
}

// ---- live ----

let loaded = false, snapshotAt = 0, replayUntil = 0;

function stale(at) {
	return performance.now() < replayUntil && snapshotAt - Date.parse(at) > STALE_S * 1000;
}

live({
	topics: "calls,queue",
	snapshot: () => op("queue.snapshot"),
	onSnapshot(state) {
		snapshotAt = Date.parse(state.now);
		replayUntil = performance.now() + REPLAY_MS;
		lanes = state.lanes;
		selfServiceAvailable = state.self_service_available;
		// Calls made while this TV was away: spoken if still fresh, not on
		// the first load (the TV was just switched on).
		for (const c of calls.snapshot(state.windows)) {
			if (loaded && c.status === "called" && !stale(c.at))
				newCall(c);
		}
		if (highlights.current === null && calls.recent.length > 0)
			highlights.current = calls.recent[0];
		loaded = true;
		drawNow(highlights.current, highlighted !== null);
		drawLanes();
	},
	onEvent(name, data) {
		if (name === "ticket.called") {
			if (!calls.called(data))
				return;
			// Every call is listed at once; the big highlight takes its turn.
			const call = { number: data.number, window: data.window, at: data.at };
			if (!stale(call.at))
				newCall(call);
			drawWindows();
			drawRecent();
		} else if (name === "queue.changed") {
			lanes = data.lanes;
			drawLanes();
		} else if (name === "day.ended") {
			calls.dayEnded();
			highlights.clear();
		}
	},
});
