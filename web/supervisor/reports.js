// Reports for a date range: report.summary by day and by half hour, drawn
// as charts with their figures in words and tables, and exported as CSV.
// Any figure the daemon does not give shows as "—".

import { op } from "/lib/api.js";
import { both, t } from "/lib/i18n.js";
import { clockText, dateText } from "/lib/time.js";
import { chartFigure, colour, table } from "/supervisor/charts.js";
import { csvLink, revokeAll } from "/supervisor/csv.js";
import { errorText, figure, minutesOf, share, timerTextOrNone, yuan } from "/supervisor/format.js";

const $ = (id) => document.getElementById(id);
const LANES = ["counter", "express", "vip", "self_service"];
const EDGES = [0, 300, 600, 900, 1200, 1800, 2700, 3600];
const KEPT = ["accessibility", "needs_assistance", "vip", "loose_cash", "self_service_unavailable", "counter_idle"];
const CAUSES = ["value", "system", "personnel", "customer", "external", "unresolved"];
const DAY_MS = 86400000;

const r = (key, ...args) => t(`supervisor.reports.${key}`, ...args);
const c = (key) => both(`supervisor.csv.${key}`);
const num = (x) => (typeof x === "number" ? x : null);
const pct = (x) => (typeof x === "number" ? (Math.round(x * 1000) / 10).toFixed(1) : "");

function days(from, to) {
	return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

// Half-hour groups summed by local time of day ("09:30"): a range of
// several days shows the shape of a typical day.
function byTimeOfDay(groups) {
	const slots = new Map();
	for (const g of groups ?? []) {
		const key = clockText(g.from);
		const s = slots.get(key) ?? { arrivals: 0, served: 0 };
		s.arrivals += num(g.tickets) ?? 0;
		s.served += num(g.served) ?? 0;
		slots.set(key, s);
	}
	const keys = [...slots.keys()].sort();
	const busy = keys.filter((k) => slots.get(k).arrivals > 0 || slots.get(k).served > 0);
	const first = busy[0] < "08:00" ? busy[0] : "08:00";
	const last = busy.length > 0 && busy[busy.length - 1] > "17:30" ? busy[busy.length - 1] : "17:30";
	return keys.filter((k) => k >= first && k <= last).map((k) => ({ time: k, ...slots.get(k) }));
}

export class Reports {
	constructor() {
		this.day = null;
		this.half = null;
		this.charts = [];
		this.generation = 0;	// the latest request wins
		$("range").addEventListener("submit", (e) => {
			e.preventDefault();
			this.load();
		});
		window.addEventListener("languagechange", () => this.render());
	}

	setDates(from, to) {
		$("range-from").value = from;
		$("range-to").value = to;
	}

	async load() {
		const from = $("range-from").value, to = $("range-to").value;
		$("range-error").textContent = "";
		if (!from || !to || from > to) {
			$("range-error").textContent = t("supervisor.errors.range");
			return;
		}
		$("range-status").textContent = r("loading");
		const mine = ++this.generation;
		try {
			const [day, half] = await Promise.all([
				op("report.summary", { from, to, group: "day" }),
				days(from, to) <= 31 ? op("report.summary", { from, to, group: "half_hour" })
					: Promise.resolve(null),
			]);
			if (mine !== this.generation)
				return;
			this.day = day;
			this.half = half;
		} catch (err) {
			if (mine !== this.generation)
				return;
			$("range-status").textContent = "";
			$("range-error").textContent = errorText(err);
			return;
		}
		this.render();
	}

	render() {
		const s = this.day;
		if (s === null)
			return;
		for (const ch of this.charts)
			ch?.destroy();
		this.charts = [];
		revokeAll();
		$("range-status").textContent = r("ready", s.from, s.to);
		this.renderFigures(s);
		const root = $("charts");
		root.replaceChildren();
		this.charts.push(this.histogram(root, s), this.flow(root, s), this.diversion(root, s),
			this.staff(root, s), this.causes(root, s), this.nps(root, s));
		$("exports").replaceChildren(
			csvLink(r("csvDays"), `branchq-${s.from}-${s.to}-by-day.csv`, this.dayRows(s)),
			csvLink(r("csvSummary"), `branchq-${s.from}-${s.to}-summary.csv`, this.summaryRows(s)));
	}

	renderFigures(s) {
		const items = [
			["tickets", figure(s.tickets?.total)],
			["served", figure(s.tickets?.by_status?.done)],
			["withinTarget", share(s.waiting?.within_target)],
			["diversion", share(s.diversion?.rate)],
			["noShows", figure(s.no_show?.total)],
			["complaints", figure(s.complaints?.total)],
			["compensation", typeof s.complaints?.compensation_fen === "number"
				? yuan(s.complaints.compensation_fen) : t("supervisor.none")],
			["nps", figure(s.nps?.score)],
		];
		const dl = document.createElement("dl");
		dl.className = "figure-list";
		for (const [key, value] of items) {
			const div = document.createElement("div");
			const dt = document.createElement("dt");
			dt.textContent = r(key);
			const dd = document.createElement("dd");
			dd.textContent = value;
			dd.dataset.figure = key;
			div.append(dt, dd);
			dl.append(div);
		}
		const lanes = LANES.filter((l) => s.no_show?.by_lane?.[l] !== undefined);
		const noShows = table(r("noShowTitle"), [r("lane"), r("noShows")],
			lanes.map((l) => [t(`common.lanes.${l}`), figure(s.no_show.by_lane[l])]));
		const details = document.createElement("details");
		details.className = "no-shows";
		const summary = document.createElement("summary");
		summary.textContent = `${r("table")}: ${r("noShowTitle")}`;
		details.append(summary, noShows);
		$("figures").replaceChildren(dl, details);
	}

	histogram(root, s) {
		const w = s.waiting ?? {};
		const edges = Array.isArray(w.histogram_edges_s) ? w.histogram_edges_s : EDGES;
		const labels = edges.map((e, i) => r("bucket", e / 60, i + 1 < edges.length ? edges[i + 1] / 60 : null));
		let lanes = LANES.filter((l) => (w.by_lane?.[l]?.count ?? 0) > 0);
		if (lanes.length === 0)
			lanes = LANES.slice(0, 3);
		const hist = (h) => labels.map((_, i) => (Array.isArray(h) ? figure(h[i]) : t("supervisor.none")));
		const row = (name, b) => [name, ...hist(b?.histogram), figure(b?.count), share(b?.within_target),
			timerTextOrNone(b?.mean), timerTextOrNone(b?.p90)];
		const rows = lanes.map((l) => row(t(`common.lanes.${l}`), w.by_lane?.[l]));
		rows.push([t("supervisor.reports.withinTarget"), ...hist(w.histogram), t("supervisor.none"),
			share(w.within_target), t("supervisor.none"), t("supervisor.none")]);
		return chartFigure(root, {
			id: "waiting",
			title: r("histTitle"),
			caption: r("histCaption", share(w.within_target)),
			heads: [r("lane"), ...labels, r("count"), r("withinTarget"), r("mean"), r("p90")],
			rows,
			config: {
				type: "bar",
				data: { labels, datasets: lanes.map((l, i) => ({ label: t(`common.lanes.${l}`),
					data: Array.isArray(w.by_lane?.[l]?.histogram) ? w.by_lane[l].histogram : [],
					backgroundColor: colour(i) })) },
				options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
			},
		});
	}

	flow(root, s) {
		const slots = this.half ? byTimeOfDay(this.half.groups) : [];
		let peak = null;
		for (const x of slots)
			if (x.arrivals > 0 && (peak === null || x.arrivals > peak.arrivals))
				peak = x;
		const caption = this.half ? r("flowCaption", peak?.time ?? null, peak?.arrivals ?? 0)
			: t("supervisor.errors.halfHour");
		return chartFigure(root, {
			id: "flow",
			title: r("flowTitle"),
			caption,
			heads: [r("time"), r("arrivals"), r("services")],
			rows: slots.filter((x) => x.arrivals > 0 || x.served > 0)
				.map((x) => [x.time, String(x.arrivals), String(x.served)]),
			config: {
				type: "bar",
				data: { labels: slots.map((x) => x.time), datasets: [
					{ label: r("arrivals"), data: slots.map((x) => x.arrivals), backgroundColor: colour(0) },
					{ label: r("services"), data: slots.map((x) => x.served), backgroundColor: colour(1) }] },
				options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
			},
		});
	}

	diversion(root, s) {
		const d = s.diversion ?? {};
		const items = [];
		for (const [reason, n] of Object.entries(d.rerouted ?? {}))
			items.push([r("rerouted", t(`supervisor.reports.reasons.${reason}`)), n]);
		for (const rule of KEPT)
			if (d.kept_at_counter?.[rule] !== undefined)
				items.push([r("kept", t(`common.rules.${rule}`)), d.kept_at_counter[rule]]);
		const shown = items.filter(([, n]) => n > 0);
		return chartFigure(root, {
			id: "diversion",
			title: r("divTitle"),
			caption: r("divCaption", share(d.rate), figure(d.eligible), figure(d.diverted), figure(d.rerouted_total)),
			heads: [r("reason"), r("count")],
			rows: [[r("eligible"), figure(d.eligible)], [r("diverted"), figure(d.diverted)],
				[r("rerouted_total"), figure(d.rerouted_total)], [r("diversion"), share(d.rate)],
				...items.map(([label, n]) => [label, figure(n)])],
			config: {
				type: "bar",
				data: { labels: shown.map(([label]) => label), datasets: [{ label: r("count"),
					data: shown.map(([, n]) => n), backgroundColor: colour(1) }] },
				options: { indexAxis: "y", plugins: { legend: { display: false } },
					scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
			},
		});
	}

	staff(root, s) {
		const by = s.service?.by_staff ?? {};
		const ids = Object.keys(by).sort();
		const total = ids.reduce((a, id) => a + (num(by[id].serving_s) ?? 0), 0);
		const series = [["serving", "serving_s"], ["idle", "idle_s"], ["paused", "paused_s"]];
		return chartFigure(root, {
			id: "staff",
			title: r("staffTitle"),
			caption: r("staffCaption", ids.length, timerTextOrNone(total)),
			heads: [r("staff"), r("called"), r("staffServed"), r("staffNoShows"), r("serving"), r("idle"),
				r("paused"), r("meanService")],
			rows: ids.map((id) => [id, figure(by[id].called), figure(by[id].served), figure(by[id].no_shows),
				figure(minutesOf(by[id].serving_s)), figure(minutesOf(by[id].idle_s)),
				figure(minutesOf(by[id].paused_s)), timerTextOrNone(by[id].mean)]),
			config: {
				type: "bar",
				data: { labels: ids, datasets: series.map(([key, field], i) => ({ label: r(key),
					data: ids.map((id) => minutesOf(by[id][field])), backgroundColor: colour([0, 5, 1][i]) })) },
				options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
			},
		});
	}

	causes(root, s) {
		const cs = s.complaints ?? {};
		const causes = CAUSES.filter((k) => cs.by_root_cause?.[k] !== undefined);
		return chartFigure(root, {
			id: "causes",
			title: r("causeTitle"),
			caption: r("causeCaption", figure(cs.total)),
			heads: [r("cause"), r("complaints"), r("compensation")],
			rows: causes.map((k) => [t(`supervisor.rootCauses.${k}`), figure(cs.by_root_cause[k]),
				typeof cs.compensation_by_root_cause_fen?.[k] === "number"
					? yuan(cs.compensation_by_root_cause_fen[k]) : t("supervisor.none")]),
			config: {
				type: "bar",
				data: { labels: causes.map((k) => t(`supervisor.rootCauses.${k}`)), datasets: [{
					label: r("complaints"), data: causes.map((k) => cs.by_root_cause[k]),
					backgroundColor: colour(2) }] },
				options: { plugins: { legend: { display: false } },
					scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
			},
		});
	}

	nps(root, s) {
		const groups = s.groups ?? [];
		const dates = groups.map((g) => dateText(Date.parse(g.from)));
		return chartFigure(root, {
			id: "nps",
			title: r("npsTitle"),
			caption: r("npsCaption", figure(s.nps?.score), figure(s.nps?.responses)),
			heads: [r("date"), r("responses"), r("promoters"), r("passives"), r("detractors"), r("score")],
			rows: groups.map((g, i) => [dates[i], figure(g.nps?.responses), figure(g.nps?.promoters),
				figure(g.nps?.passives), figure(g.nps?.detractors), figure(g.nps?.score)]),
			config: {
				type: groups.length > 1 ? "line" : "bar",
				data: { labels: dates, datasets: [{ label: r("score"), data: groups.map((g) => num(g.nps?.score)),
					borderColor: colour(0), backgroundColor: colour(0) }] },
				options: { plugins: { legend: { display: false } },
					scales: { y: { suggestedMin: -100, suggestedMax: 100 } } },
			},
		});
	}

	// One row per business day of the range.
	dayRows(s) {
		const rows = [[c("date"), c("tickets"), c("served"), c("noShows"), c("waited"), c("meanWait"),
			c("p90Wait"), c("withinTarget"), c("eligible"), c("diverted"), c("cameBack"), c("diversionRate"),
			c("complaints"), c("npsAnswers"), c("npsScore")]];
		for (const g of s.groups ?? [])
			rows.push([dateText(Date.parse(g.from)), num(g.tickets), num(g.served), num(g.no_show),
				num(g.waiting?.count), num(g.waiting?.mean), num(g.waiting?.p90), pct(g.waiting?.within_target),
				num(g.diversion?.eligible), num(g.diversion?.diverted), num(g.diversion?.rerouted_total),
				pct(g.diversion?.rate), num(g.complaints), num(g.nps?.responses), num(g.nps?.score)]);
		return rows;
	}

	// The range's totals, section by section: section, item, value.
	summaryRows(s) {
		const rows = [[c("section"), c("item"), c("value")]];
		const add = (section, item, value) => rows.push([section, item, value ?? ""]);
		const sec = (key) => t(`supervisor.csv.${key}`);
		add(sec("range"), sec("date"), `${s.from} – ${s.to}`);
		add(sec("totals"), sec("tickets"), num(s.tickets?.total));
		add(sec("totals"), sec("served"), num(s.tickets?.by_status?.done));
		add(sec("totals"), sec("noShows"), num(s.no_show?.total));
		for (const l of LANES)
			if (s.no_show?.by_lane?.[l] !== undefined)
				add(sec("noShows"), t(`common.lanes.${l}`), num(s.no_show.by_lane[l]));
		add(sec("waiting"), sec("withinTarget"), pct(s.waiting?.within_target));
		const edges = Array.isArray(s.waiting?.histogram_edges_s) ? s.waiting.histogram_edges_s : EDGES;
		for (const l of LANES) {
			const b = s.waiting?.by_lane?.[l];
			if (!b)
				continue;
			const lane = t(`common.lanes.${l}`);
			add(sec("waiting"), `${lane} ${sec("waited")}`, num(b.count));
			add(sec("waiting"), `${lane} ${sec("withinTarget")}`, pct(b.within_target));
			add(sec("waiting"), `${lane} ${sec("meanS")}`, num(b.mean));
			add(sec("waiting"), `${lane} ${sec("p50S")}`, num(b.p50));
			add(sec("waiting"), `${lane} ${sec("p90Wait")}`, num(b.p90));
			add(sec("waiting"), `${lane} ${sec("maxS")}`, num(b.max));
			if (Array.isArray(b.histogram))
				edges.forEach((e, i) => add(sec("histogram"),
					`${lane} ${r("bucket", e / 60, i + 1 < edges.length ? edges[i + 1] / 60 : null)}`, num(b.histogram[i])));
		}
		const d = s.diversion ?? {};
		add(sec("diversion"), sec("eligible"), num(d.eligible));
		add(sec("diversion"), sec("diverted"), num(d.diverted));
		add(sec("diversion"), sec("cameBack"), num(d.rerouted_total));
		add(sec("diversion"), sec("diversionRate"), pct(d.rate));
		for (const [reason, n] of Object.entries(d.rerouted ?? {}))
			add(sec("diversion"), r("rerouted", t(`supervisor.reports.reasons.${reason}`)), num(n));
		for (const rule of KEPT)
			if (d.kept_at_counter?.[rule] !== undefined)
				add(sec("diversion"), r("kept", t(`common.rules.${rule}`)), num(d.kept_at_counter[rule]));
		add(sec("diversion"), sec("selfServiceDown"), num(d.self_service_down_s));
		const by = s.service?.by_staff ?? {};
		for (const id of Object.keys(by).sort()) {
			const x = by[id];
			add(sec("staff"), `${id} ${r("called")}`, num(x.called));
			add(sec("staff"), `${id} ${r("staffServed")}`, num(x.served));
			add(sec("staff"), `${id} ${r("staffNoShows")}`, num(x.no_shows));
			add(sec("staff"), `${id} ${sec("servingS")}`, num(x.serving_s));
			add(sec("staff"), `${id} ${sec("idleS")}`, num(x.idle_s));
			add(sec("staff"), `${id} ${sec("pausedS")}`, num(x.paused_s));
		}
		const cs = s.complaints ?? {};
		add(sec("rootCause"), sec("complaints"), num(cs.total));
		for (const k of CAUSES)
			if (cs.by_root_cause?.[k] !== undefined)
				add(sec("rootCause"), t(`supervisor.rootCauses.${k}`), num(cs.by_root_cause[k]));
		add(sec("compensationYuan"), sec("totals"), yuan(cs.compensation_fen));
		for (const k of CAUSES)
			if (typeof cs.compensation_by_root_cause_fen?.[k] === "number")
				add(sec("compensationYuan"), t(`supervisor.rootCauses.${k}`), yuan(cs.compensation_by_root_cause_fen[k]));
		add(sec("nps"), sec("npsAnswers"), num(s.nps?.responses));
		add(sec("nps"), r("promoters"), num(s.nps?.promoters));
		add(sec("nps"), r("passives"), num(s.nps?.passives));
		add(sec("nps"), r("detractors"), num(s.nps?.detractors));
		add(sec("nps"), sec("npsScore"), num(s.nps?.score));
		return rows;
	}
}
