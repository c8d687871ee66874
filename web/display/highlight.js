// Each new call is highlighted for at least HOLD_MS, even when several
// come at once: they wait in line, and each gets its full time.  The last
// one stays on the screen (no longer highlighted) until the next.

export const HOLD_MS = 6000;

export class Highlights {
	// show(call, fresh): draw `call` as the one now calling, highlighted
	// while `fresh`.
	constructor(show) {
		this.show = show;
		this.line = [];
		this.current = null;
		this.timer = null;
	}

	add(call) {
		this.line.push(call);
		if (this.timer === null)
			this.next();
	}

	next() {
		this.timer = null;
		if (this.line.length === 0) {
			if (this.current !== null)
				this.show(this.current, false);
			return;
		}
		this.current = this.line.shift();
		this.show(this.current, true);
		this.timer = setTimeout(() => this.next(), HOLD_MS);
	}

	// The calls are gone (a new business day).
	clear() {
		this.line = [];
		this.current = null;
		clearTimeout(this.timer);
		this.timer = null;
		this.show(null, false);
	}
}
