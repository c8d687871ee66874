// The live tiles across the top: people waiting in each queue, the oldest
// wait, open windows, served today and overdue follow-ups.  A tile that
// needs attention says so in words as well as in colour.

import { t } from "/lib/i18n.js";
import { clockText, now, timerText } from "/lib/time.js";
import { figure } from "/supervisor/format.js";

const QUEUES = ["counter", "express", "vip"];

// "ok", "warn" or "bad" for a wait of `s` seconds against the target.
function waitLevel(s, target) {
	if (s === null)
		return "ok";
	if (s > target)
		return "bad";
	return s >= (target * 2) / 3 ? "warn" : "ok";
}

function tile(id) {
	const li = document.createElement("li");
	li.className = "tile";
	li.dataset.tile = id;
	const label = document.createElement("span");
	label.className = "tile-label";
	const value = document.createElement("span");
	value.className = "tile-value";
	const note = document.createElement("span");
	note.className = "tile-note";
	li.append(label, value, note);
	return { li, label, value, note };
}

export class Tiles {
	constructor(root) {
		this.lanes = null;		// lanes as of `at` (ms)
		this.at = 0;
		this.windows = null;
		this.served = null;
		this.servedAt = null;
		this.overdue = null;
		this.target = 900;
		this.tiles = {};
		for (const id of [...QUEUES, "oldest", "windows", "served", "overdue"]) {
			this.tiles[id] = tile(id);
			root.append(this.tiles[id].li);
		}
		setInterval(() => this.render(), 1000);
		window.addEventListener("languagechange", () => this.render());
		this.render();
	}

	setLanes(lanes, atIso) {
		this.lanes = lanes;
		this.at = Date.parse(atIso);
		if (Number.isNaN(this.at))
			this.at = now();
		this.render();
	}

	setWindows(windows) {
		this.windows = windows;
		this.render();
	}

	setServed(n, target) {
		this.served = n;
		this.servedAt = now();
		if (typeof target === "number")
			this.target = target;
		this.render();
	}

	setOverdue(n) {
		this.overdue = n;
		this.render();
	}

	// A lane's oldest wait now, in seconds, or null.
	oldest(lane) {
		const s = this.lanes?.[lane]?.oldest_wait_s;
		if (typeof s !== "number")
			return null;
		return s + Math.max(0, Math.floor((now() - this.at) / 1000));
	}

	show(id, label, value, note, level) {
		const tl = this.tiles[id];
		tl.label.textContent = label;
		tl.value.textContent = value;
		tl.note.textContent = note;
		tl.li.className = `tile level-${level}`;
	}

	levelWord(level) {
		return t(`supervisor.tiles.${level}`);
	}

	render() {
		const none = t("supervisor.none");
		let worst = null, worstLane = null;
		for (const lane of QUEUES) {
			const name = t(`common.lanes.${lane}`);
			const waiting = this.lanes?.[lane]?.waiting;
			const s = this.oldest(lane);
			if (s !== null && (worst === null || s > worst)) {
				worst = s;
				worstLane = lane;
			}
			const level = waitLevel(s, this.target);
			const note = s === null ? this.levelWord("ok")
				: `${t("supervisor.tiles.oldest")} ${timerText(s)} · ${this.levelWord(level)}`;
			this.show(lane, t("supervisor.tiles.waiting", name),
				typeof waiting === "number" ? t("supervisor.tiles.people", waiting) : none, note, level);
		}

		const level = waitLevel(worst, this.target);
		const where = worstLane ? t("supervisor.tiles.oldestLane", t(`common.lanes.${worstLane}`)) : "";
		this.show("oldest", t("supervisor.tiles.oldest"), worst === null ? none : `${timerText(worst)}`,
			`${this.levelWord(level)}${where} · ${t("supervisor.tiles.target", Math.round(this.target / 60))}`,
			level);

		const open = this.windows?.filter((w) => w.state === "open").length;
		const paused = this.windows?.filter((w) => w.state === "paused").length ?? 0;
		this.show("windows", t("supervisor.tiles.windows"), figure(open),
			paused > 0 ? t("supervisor.tiles.windowsPaused", paused) : "", "plain");

		this.show("served", t("supervisor.tiles.served"), figure(this.served),
			this.servedAt === null ? "" : t("supervisor.tiles.servedAt", clockText(this.servedAt)), "plain");

		const overdueLevel = this.overdue > 0 ? "bad" : "ok";
		this.show("overdue", t("supervisor.tiles.overdue"), figure(this.overdue),
			this.overdue === null ? "" : t(overdueLevel === "bad" ? "supervisor.tiles.overdueBad"
				: "supervisor.tiles.ok"), overdueLevel);
	}
}
