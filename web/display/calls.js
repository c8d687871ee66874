// What the lobby display knows about calls: the last number called at each
// window, the last 8 calls, and which windows this TV shows (?windows=1-4,
// ?windows=1,3,5-6; all without it).  No DOM here: display.js draws it.

export const RECENT = 8;

// "1-4" → {1,2,3,4}; "1,3,5-6" → {1,3,5,6}; absent or unreadable → null (all).
export function windowFilter(param) {
	if (param === null || param.trim() === "")
		return null;
	const wanted = new Set();
	for (const part of param.split(",")) {
		const m = part.trim().match(/^(\d{1,2})(?:-(\d{1,2}))?$/);
		if (!m)
			continue;
		const from = Number(m[1]), to = Number(m[2] ?? m[1]);
		for (let w = Math.min(from, to); w <= Math.max(from, to); w++)
			wanted.add(w);
	}
	return wanted.size > 0 ? wanted : null;
}

export class Calls {
	constructor(wanted) {
		this.wanted = wanted;		// Set of window numbers, or null for all
		this.windows = new Map();	// window → {number, at}: its last call
		this.recent = [];		// newest first: {number, window, at}
		this.seen = new Set();		// event seqs already taken
	}

	shows(window) {
		return this.wanted === null || this.wanted.has(window);
	}

	// A ticket.called event; false when it is not this TV's or already seen.
	// A recall moves the number back to the top of the list.
	called({ number, window, at, seq }) {
		if (!this.shows(window))
			return false;
		if (seq !== undefined) {
			if (this.seen.has(seq))
				return false;
			this.seen.add(seq);
		}
		this.windows.set(window, { number, at });
		this.recent = [{ number, window, at },
			...this.recent.filter((c) => c.number !== number)].slice(0, RECENT);
		return true;
	}

	// queue.snapshot's windows: each one's current ticket, if any.  Returns
	// the calls the snapshot knows and this display did not (made while it
	// was offline), oldest first.
	snapshot(windows) {
		const missed = [];
		for (const w of windows) {
			if (!this.shows(w.window))
				continue;
			if (!this.windows.has(w.window))
				this.windows.set(w.window, null);
			const t = w.current;
			if (t === null || t.called_at === null)
				continue;
			const known = this.recent.some((c) => c.number === t.number &&
				c.window === w.window);
			if (!known)
				missed.push({ number: t.number, window: w.window, at: t.called_at,
					status: t.status });
		}
		// oldest first; calls made in the same second by number
		missed.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.number.localeCompare(b.number));
		for (const c of missed)
			this.called(c);
		return missed;
	}

	// A new business day: yesterday's calls are gone.
	dayEnded() {
		for (const w of this.windows.keys())
			this.windows.set(w, null);
		this.recent = [];
		this.seen.clear();
	}
}
