// The spoken call, from recorded clips (web/display/make-clips.sh, served
// as /display/sounds/NAME.wav), never the browser's speech engine (often
// silent on Linux Chromium): a chime, "请 A012 号到 3 号窗口", then
// "Number A012, please go to window 3", scheduled back to back with the
// Web Audio API.  Announcements wait their turn: never two at once.

const LETTERS = new Set(["A", "S", "E", "V"]);

// The Chinese words of a window number: 3 → 三; 10 → 十; 13 → 十三; 23 → 二十三.
function zhWindow(n) {
	const tens = Math.floor(n / 10), ones = n % 10;
	const out = [];
	if (tens > 1)
		out.push(`zh-${tens}`);
	if (tens > 0)
		out.push("zh-10");
	if (ones > 0 || tens === 0)
		out.push(`zh-${ones}`);
	return out;
}

// The English words of a window number: 3 → three; 13 → thirteen; 23 → twenty three.
function enWindow(n) {
	if (n < 20)
		return [`en-${n}`];
	const tens = Math.floor(n / 10) * 10, ones = n % 10;
	return ones > 0 ? [`en-${tens}`, `en-${ones}`] : [`en-${tens}`];
}

// A ticket number letter by letter, digit by digit: A012 → A 零 一 二.
function spell(lang, number) {
	const out = [];
	for (const ch of number) {
		if (/\d/.test(ch) || LETTERS.has(ch))
			out.push(`${lang}-${ch}`);
	}
	return out;
}

// The clips of one announcement, in order (null: a pause).
export function clipsFor(number, window) {
	return ["chime", null,
		"zh-qing", ...spell("zh", number), "zh-hao-dao", ...zhWindow(window), "zh-hao-chuangkou",
		null,
		"en-number", ...spell("en", number), "en-please", ...enWindow(window)];
}

const PAUSE_S = 0.4, GAP_S = 0.02;
// How long an announcement holds the screen when it cannot be heard.
const SILENT_MS = 3000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Announcer {
	// onState(state): "on", "blocked" (the browser wants a click first) or
	// "off" (no Web Audio); onSpeak(item) as each announcement starts;
	// onDone(item) as it ends.
	constructor({ onState, onSpeak, onDone }) {
		this.onState = onState;
		this.onSpeak = onSpeak;
		this.onDone = onDone;
		this.queue = [];
		this.busy = false;
		this.buffers = new Map();
		this.loading = new Map();
		try {
			this.ctx = new AudioContext();
			this.ctx.addEventListener("statechange", () => this.report());
		} catch {
			this.ctx = null;
		}
		this.report();
	}

	state() {
		if (this.ctx === null)
			return "off";
		return this.ctx.state === "running" ? "on" : "blocked";
	}

	report() {
		this.onState(this.state());
	}

	// The click on "点击开启声音 · Click to enable sound".
	async enable() {
		if (this.ctx !== null)
			await this.ctx.resume();
		this.report();
	}

	// Loads (once) and decodes the clips; a clip that fails is left out.
	clip(name) {
		if (this.ctx === null)
			return Promise.resolve(null);
		if (!this.loading.has(name)) {
			this.loading.set(name, (async () => {
				try {
					const r = await fetch(`/display/sounds/${name}.wav`);
					if (!r.ok)
						throw new Error(r.status);
					const buffer = await this.ctx.decodeAudioData(await r.arrayBuffer());
					this.buffers.set(name, buffer);
					return buffer;
				} catch {
					this.loading.delete(name);	// try again next time
					return null;
				}
			})());
		}
		return this.loading.get(name);
	}

	// Every clip a call can need, fetched while the daemon is there.
	preload() {
		const names = new Set(["chime", "zh-qing", "zh-hao-dao", "zh-hao-chuangkou", "zh-10",
			"en-number", "en-please"]);
		for (const l of LETTERS)
			names.add(`zh-${l}`).add(`en-${l}`);
		for (let d = 0; d <= 19; d++)
			names.add(`en-${d}`);
		for (let d = 0; d <= 9; d++)
			names.add(`zh-${d}`).add(`en-${d === 0 ? 0 : d * 10}`);
		for (const n of names)
			this.clip(n);
	}

	say(item) {
		item.clips = clipsFor(item.number, item.window);
		this.queue.push(item);
		if (!this.busy)
			this.run();
	}

	async run() {
		this.busy = true;
		while (this.queue.length > 0) {
			const item = this.queue.shift();
			this.onSpeak(item);
			await this.play(item.clips);
			this.onDone(item);
		}
		this.busy = false;
	}

	// Schedules the clips back to back and resolves when the last has
	// played; while sound is blocked the text alone holds the screen.
	async play(clips) {
		if (this.state() !== "on") {
			await sleep(SILENT_MS);
			return;
		}
		const buffers = await Promise.all(clips.map((c) => c === null ? null : this.clip(c)));
		let at = this.ctx.currentTime + 0.05;
		for (const b of buffers) {
			if (b === null) {
				at += PAUSE_S;
				continue;
			}
			const source = this.ctx.createBufferSource();
			source.buffer = b;
			source.connect(this.ctx.destination);
			source.start(at);
			at += b.duration + GAP_S;
		}
		await sleep((at - this.ctx.currentTime) * 1000 + 100);
	}
}
