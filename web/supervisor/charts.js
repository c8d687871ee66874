// A chart as a person and a screen reader both can read it: a caption with
// the key figure, the Chart.js canvas (Debian's libjs-chart.js, loaded by a
// classic script as window.Chart), and the same figures as a table under a
// "data table" toggle.

import { t } from "/lib/i18n.js";

const COLOURS = ["#005e6e", "#b35900", "#6b3fa0", "#2f6f2f", "#a00000", "#4a4a4a"];

export function colour(i) {
	return COLOURS[i % COLOURS.length];
}

if (window.Chart) {
	window.Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
	window.Chart.defaults.color = "#111";
	window.Chart.defaults.animation = false;
}

// A <table> with a caption, column heads and rows of cells (first cell a
// row header).
export function table(caption, heads, rows) {
	const tb = document.createElement("table");
	tb.className = "data";
	const cap = document.createElement("caption");
	cap.textContent = caption;
	const thead = document.createElement("thead");
	const hr = document.createElement("tr");
	for (const h of heads) {
		const th = document.createElement("th");
		th.scope = "col";
		th.textContent = h;
		hr.append(th);
	}
	thead.append(hr);
	const tbody = document.createElement("tbody");
	for (const r of rows) {
		const tr = document.createElement("tr");
		r.forEach((v, i) => {
			const c = document.createElement(i === 0 ? "th" : "td");
			if (i === 0)
				c.scope = "row";
			c.textContent = v;
			tr.append(c);
		});
		tbody.append(tr);
	}
	tb.append(cap, thead, tbody);
	return tb;
}

// Builds the figure in `root` and draws the chart; returns the Chart (or
// null when Chart.js is missing: the caption and the table still say it all).
export function chartFigure(root, { id, title, caption, config, heads, rows }) {
	const fig = document.createElement("figure");
	fig.className = "chart";
	fig.dataset.chart = id;
	const cap = document.createElement("figcaption");
	const strong = document.createElement("strong");
	strong.textContent = title;
	const key = document.createElement("span");
	key.className = "key-figure";
	key.textContent = caption;
	cap.append(strong, key);
	const box = document.createElement("div");
	box.className = "canvas-box";
	const canvas = document.createElement("canvas");
	canvas.setAttribute("role", "img");
	canvas.setAttribute("aria-label", `${title}: ${caption}`);
	box.append(canvas);
	const details = document.createElement("details");
	const summary = document.createElement("summary");
	summary.textContent = `${t("supervisor.reports.table")}: ${title}`;
	details.append(summary, table(title, heads, rows));
	fig.append(cap, box, details);
	root.append(fig);
	if (!window.Chart)
		return null;
	config.options = { responsive: true, maintainAspectRatio: false, ...config.options };
	return new window.Chart(canvas, config);
}
