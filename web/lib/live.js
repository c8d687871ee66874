// A page's live view of the branch: the event stream (GET /api/v1/events)
// on top of a snapshot.  Whenever the stream is (re)opened the snapshot is
// loaded again and the events that arrived meanwhile are applied after it,
// so nothing a page shows depends on an unbroken connection.  A lost stream
// (network, daemon restart, `reset`) shows as offline and is reopened with
// a growing delay; a ping every 10 s notices a connection that died
// silently and keeps the page's clock on the daemon's (from `ping` only:
// an event's `at` may be minutes old when it is replayed after a reconnect).  When the session
// itself has ended, the page reloads to its sign-in form.

import { op, whoami } from "/lib/api.js";
import { observe } from "/lib/time.js";

// The page's clock, from the daemon's `ping` now (time.js); a page calls it
// after something it knows moved the daemon's clock.
export function syncClock() {
	return op("ping").then((r) => observe(r.now), () => {});
}

const EVENTS = ["ticket.called", "queue.changed", "day.ended", "complaint.logged",
	"followup.overdue", "followup.recorded", "reset"];

// topics: "calls,queue"; snapshot(): a promise of the page's state;
// onSnapshot(state); onEvent(name, data); onStatus(online).
export function live({ topics, snapshot, onSnapshot, onEvent, onStatus }) {
	let source = null, lastId = null, delay = 1000, timer = null, generation = 0;
	let pending = null;	// events held while a snapshot loads

	function status(online) {
		document.body.classList.toggle("offline", !online);
		onStatus?.(online);
	}

	async function reload() {
		const mine = ++generation;
		pending = [];
		let state;
		try {
			state = await snapshot();
		} catch {
			lost();
			return;
		}
		if (mine !== generation)
			return;
		onSnapshot(state);
		syncClock();
		const held = pending;
		pending = null;
		for (const [name, data] of held)
			onEvent(name, data);
		status(true);
		delay = 1000;
	}

	function deliver(name, e) {
		if (e.lastEventId)
			lastId = e.lastEventId;
		if (name === "reset") {
			reload();
			return;
		}
		const data = JSON.parse(e.data);
		if (pending !== null)
			pending.push([name, data]);
		else
			onEvent(name, data);
	}

	function open() {
		timer = null;
		const since = lastId !== null ? `&since=${encodeURIComponent(lastId)}` : "";
		source = new EventSource(`/api/v1/events?topics=${topics}${since}`);
		source.addEventListener("open", reload);
		source.addEventListener("error", lost);
		for (const name of EVENTS)
			source.addEventListener(name, (e) => deliver(name, e));
	}

	async function lost() {
		if (source !== null) {
			source.close();
			source = null;
		}
		generation++;
		pending = null;
		status(false);
		if (timer !== null)
			return;
		timer = setTimeout(async () => {
			try {
				if (await whoami() === null) {
					location.reload();
					return;
				}
			} catch {
				/* still down: try the stream anyway, it will fail again */
			}
			open();
		}, delay);
		delay = Math.min(delay * 2, 10000);
	}

	setInterval(async () => {
		if (source === null)
			return;
		try {
			observe((await op("ping")).now);
		} catch {
			lost();
		}
	}, 10000);
	open();
}
