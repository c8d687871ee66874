// The counter: a teller's day at one window (DOMAIN §2, §3, §6).
// Sign in; open a window with its lanes in calling order (or find the one
// this terminal already holds); call, recall, start, complete, mark a
// no-show or transfer the customer, each with a key; watch the queue, with
// a tone when this window's lanes stop being empty; log complaints and work
// one's own.

import { op } from "/lib/api.js";
import { both, t } from "/lib/i18n.js";
import { live } from "/lib/live.js";
import { languageButton, signOutButton, start } from "/lib/page.js";
import { observe, timerText } from "/lib/time.js";
import { renderCard, tick } from "/counter/card.js";
import { chime } from "/counter/chime.js";
import { complaints } from "/counter/complaints.js";
import { explain, sessionEnded } from "/counter/errors.js";
import { lanePicker } from "/counter/lanes.js";

const $ = (id) => document.getElementById(id);
const QUEUE_LANES = ["counter", "express", "vip", "self_service"];

const who = await start({ page: "counter", roles: ["teller", "supervisor"] });
$("top-buttons").append(languageButton(), signOutButton());

let mine = null;		// this terminal's window object, or null
let last = null;		// {number, status} of the customer just finished
let lanes = null;		// queue.snapshot's lanes
let waitingMine = null;		// people waiting in this window's lanes (null: not known)
let busy = false;		// an action is on its way: keys wait for its reply

const picker = lanePicker($("lane-order"));
const cases = complaints({ currentTicket: () => current()?.number ?? null, say });

function current() {
	return mine?.current ?? null;
}

// ---- what the page says: the outcome of the last action ----

function say(text, isError = false) {
	const p = $("error");
	p.textContent = text;
	p.classList.toggle("is-error", isError);
}

// ---- the window ----

function renderWindow() {
	const open = mine !== null;
	$("open-form").hidden = open;
	$("window-open").hidden = !open;
	$("who").textContent = t("counter.who", who.terminal, who.staff ?? "");
	if (open) {
		$("window-title").textContent = t("counter.window.title", mine.window);
		$("window-lanes").textContent = mine.lanes.map((l, i) =>
			`${i + 1}. ${t(`common.lanes.${l}`)}`).join(" → ");
		$("window-state").textContent = t("counter.window.stateLine", mine.window,
			t(`counter.window.state.${mine.state}`));
		$("pause-label").textContent = t(mine.state === "paused"
			? "counter.window.resume" : "counter.window.pause");
	} else
		$("window-state").textContent = t("counter.window.none");
	document.body.classList.toggle("paused", mine?.state === "paused");
	renderButtons();
	renderCard(current(), last, open);
	renderLanes();
}

// Each button only when its action makes sense for the ticket's status.
function renderButtons() {
	const status = current()?.status ?? null;
	const open = mine !== null;
	const can = {
		"call-next": open && mine.state === "open" && status === null,
		recall: status === "called",
		start: status === "called",
		complete: status === "serving",
		"no-show": status === "called",
		transfer: status === "called" || status === "serving",
		pause: open,
		"close-window": open && status === null,
	};
	for (const [id, enabled] of Object.entries(can))
		$(id).disabled = !enabled;
	const select = $("transfer-lane");
	const keep = select.value;
	const targets = ["counter", "express", "vip"].filter((l) => l !== current()?.lane);
	select.replaceChildren(...targets.map((l) => {
		const o = document.createElement("option");
		o.value = l;
		o.textContent = t(`common.lanes.${l}`);
		return o;
	}));
	if (targets.includes(keep))
		select.value = keep;
	select.disabled = !can.transfer;
	// A button that just became disabled would swallow the next key: the
	// focus moves on to what the teller does next.
	if (document.activeElement?.disabled) {
		const next = { null: "call-next", called: "start", serving: "complete" }[status];
		$(next && !$(next).disabled ? next : "pause").focus();
	}
}

$("open-form").addEventListener("submit", async (ev) => {
	ev.preventDefault();
	const number = Number($("window-number").value);
	if (!Number.isInteger(number) || number < 1 || number > 99) {
		say(t("counter.window.badNumber"), true);
		return;
	}
	const chosen = picker.value();
	if (chosen.length === 0) {
		say(t("counter.window.pickLane"), true);
		return;
	}
	const reply = await act("window.open", { window: number, lanes: chosen });
	if (reply) {
		mine = reply.window;
		waitingMine = null;
		renderWindow();
		noticeArrivals(false);
		$("call-next").focus();
	}
});

async function togglePause() {
	if (mine === null)
		return;
	const reply = await act(mine.state === "paused" ? "window.resume" : "window.pause");
	if (reply) {
		mine = reply.window;
		renderWindow();
	}
}
$("pause").addEventListener("click", togglePause);

$("close-window").addEventListener("click", async () => {
	const reply = await act("window.close");
	if (reply) {
		picker.set(mine.lanes);
		$("window-number").value = String(mine.window);
		mine = null;
		waitingMine = null;
		renderWindow();
		say(t("counter.window.closed"));
		$("window-number").focus();
	}
});

// ---- the ticket at the window ----

// An operation from a button or key: one at a time, errors said clearly.
async function act(name, fields = {}) {
	if (busy)
		return null;
	busy = true;
	say("");
	try {
		return await op(name, fields);
	} catch (err) {
		if (!sessionEnded(err))
			say(explain(err), true);
		return null;
	} finally {
		busy = false;
	}
}

// A ticket op's reply: the ticket stays at the window while called or
// serving, else the window is free and the card says who just left.
function ticketIs(ticket) {
	if (ticket.status === "called" || ticket.status === "serving")
		mine.current = ticket;
	else {
		mine.current = null;
		last = { number: ticket.number, status: ticket.status };
	}
	renderWindow();
	cases.ticketChanged(current()?.number);
}

async function callNext() {
	const reply = await act("ticket.call_next");
	if (!reply)
		return;
	if (reply.ticket === null) {
		say(t("counter.actions.nobody"));
		return;
	}
	ticketIs(reply.ticket);
	say(t("counter.actions.called", reply.ticket.number));
}

async function onTicket(name, message, extra = {}) {
	const ticket = current();
	if (ticket === null)
		return;
	const reply = await act(name, { number: ticket.number, ...extra });
	if (reply) {
		ticketIs(reply.ticket);
		say(message(reply.ticket));
	}
}

const actions = {
	"call-next": callNext,
	recall: () => onTicket("ticket.recall",
		(tk) => t("counter.actions.recalled", tk.number, tk.recalls)),
	start: () => onTicket("ticket.start", (tk) => t("counter.actions.started", tk.number)),
	complete: () => onTicket("ticket.complete", (tk) => t("counter.actions.completed", tk.number)),
	"no-show": () => onTicket("ticket.no_show", (tk) => t("counter.actions.noShowDone", tk.number)),
};
for (const [id, run] of Object.entries(actions))
	$(id).addEventListener("click", run);

$("transfer-form").addEventListener("submit", (ev) => {
	ev.preventDefault();
	const lane = $("transfer-lane").value;
	onTicket("ticket.transfer", (tk) => t("counter.actions.transferred", tk.number,
		t(`common.lanes.${lane}`)), { to_lane: lane });
});
// Enter on the lane list transfers, as the button would.
$("transfer-lane").addEventListener("keydown", (ev) => {
	if (ev.key === "Enter") {
		ev.preventDefault();
		$("transfer-form").requestSubmit();
	}
});

// ---- keys: one letter each, never while typing in a field ----

const KEYS = {
	n: () => actions["call-next"](), r: actions.recall, s: actions.start,
	c: actions.complete, x: actions["no-show"], p: togglePause,
	t: () => { if (!$("transfer-lane").disabled) $("transfer-lane").focus(); },
	l: () => cases.openLog(),
};
const BUTTON_OF = { n: "call-next", r: "recall", s: "start", c: "complete", x: "no-show", p: "pause" };

document.addEventListener("keydown", (ev) => {
	if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.repeat)
		return;
	const target = ev.target;
	if (target.closest?.("input, textarea, select, [contenteditable]"))
		return;
	const key = ev.key.toLowerCase();
	const run = KEYS[key];
	if (!run)
		return;
	const button = BUTTON_OF[key];
	if (button && $(button).disabled)
		return;
	ev.preventDefault();
	run();
});

// ---- the queue: waiting per lane, this window's lanes marked ----

function renderLanes() {
	if (lanes === null)
		return;
	const served = mine?.lanes ?? [];
	$("lanes").replaceChildren(...QUEUE_LANES.map((lane) => {
		const l = lanes[lane] ?? {};
		const li = document.createElement("li");
		li.className = `lane lane-${lane}`;
		li.classList.toggle("served", served.includes(lane));
		const name = document.createElement("span");
		name.className = "lane-name";
		name.textContent = t(`common.lanes.${lane}`);
		const count = document.createElement("span");
		count.className = "lane-count";
		count.textContent = lane === "self_service"
			? t("counter.queue.diverted", l.diverted_open ?? 0)
			: t("counter.queue.waiting", l.waiting ?? 0);
		li.append(name, count);
		if (l.oldest_wait_s != null && lane !== "self_service") {
			const oldest = document.createElement("span");
			oldest.className = "lane-oldest";
			oldest.textContent = t("counter.queue.oldest", timerText(l.oldest_wait_s));
			li.append(oldest);
		}
		if (served.includes(lane)) {
			const tag = document.createElement("span");
			tag.className = "lane-mine";
			tag.textContent = t("counter.queue.mine");
			li.append(tag);
		}
		return li;
	}));
}

// The tone and the notice when this window's lanes go from empty to not
// empty; `ring` false only sets the baseline (first snapshot, new window).
function noticeArrivals(ring = true) {
	if (mine === null || lanes === null) {
		waitingMine = null;
		return;
	}
	const n = mine.lanes.reduce((sum, l) => sum + (lanes[l]?.waiting ?? 0), 0);
	const notice = $("arrival");
	if (ring && waitingMine === 0 && n > 0) {
		notice.dataset.count = String(Number(notice.dataset.count) + 1);
		notice.textContent = both("counter.arrival");
		notice.classList.add("show");
		chime();
	} else if (n === 0) {
		notice.textContent = "";
		notice.classList.remove("show");
	}
	waitingMine = n;
}

// ---- live: the snapshot, then events ----

function snapshotIs(snap) {
	observe(snap.now);
	lanes = snap.lanes;
	const held = snap.windows.find((w) => w.terminal === who.terminal) ?? null;
	const wasOpen = mine !== null;
	mine = held;
	if (held !== null && !wasOpen) {
		picker.set(held.lanes);
		$("window-number").value = String(held.window);
	}
	renderWindow();
	noticeArrivals(waitingMine !== null);
	cases.ticketChanged(current()?.number);
}

async function reloadSnapshot() {
	try {
		snapshotIs(await op("queue.snapshot"));
	} catch (err) {
		sessionEnded(err);
	}
}

live({
	topics: "calls,queue,followups",
	snapshot: () => op("queue.snapshot"),
	onSnapshot(snap) {
		snapshotIs(snap);
		cases.refresh();
	},
	onEvent(name, data) {
		if (name === "queue.changed") {
			lanes = data.lanes;
			renderLanes();
			noticeArrivals();
		} else if (name === "ticket.called") {
			// someone else (a supervisor) called at this window
			if (mine !== null && data.window === mine.window && data.number !== current()?.number)
				reloadSnapshot();
		} else if (name === "day.ended")
			reloadSnapshot();
		else if (name === "complaint.logged" || name === "followup.overdue" ||
			name === "followup.recorded")
			cases.refresh();
	},
});

// ---- the clock: the card's timers every second; the daemon's time
// learnt more often while a customer is served (the timer must not drift)

setInterval(() => tick(current()), 1000);
setInterval(async () => {
	if (current() === null)
		return;
	try {
		observe((await op("ping")).now);
	} catch {
		/* live.js shows the page offline */
	}
}, 3000);

window.addEventListener("languagechange", renderWindow);
renderWindow();
$("window-number").focus();
