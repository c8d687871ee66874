// The ticket: on the screen in the customer's language, and on paper in
// both (whoever reads it later, the lobby manager included).  A ticket the
// daemon printed on the kiosk's receipt printer ("printed": true) is not
// printed again by the browser.

import { both, language, t, tIn } from "/lib/i18n.js";
import { clockText, dateText, minutes } from "/lib/time.js";

const $ = (id) => document.getElementById(id);

function waitText(lang, s) {
	const m = minutes(s ?? 0);
	return m > 0 ? tIn(lang, "kiosk.waitMinutes", m) : tIn(lang, "kiosk.waitSoon");
}

function bi(label, value) {
	return `${tIn("zh", label)}：${value("zh")} · ${tIn("en", label)}: ${value("en")}`;
}

// The ticket screen's text in the current language.
export function renderTicket(ticket) {
	const diverted = ticket.status === "diverted";
	$("ticket-number").textContent = ticket.number;
	$("ticket-queued").hidden = diverted;
	$("ticket-watch").hidden = diverted;
	$("ticket-diverted").hidden = !diverted;
	if (diverted) {
		$("diverted-title").textContent = both("kiosk.useMachines");
		$("diverted-why").textContent = t(`common.rules.${ticket.route_rule}`);
	} else {
		$("ticket-lane").textContent = t(`common.lanes.${ticket.lane}`);
		$("ticket-ahead").textContent = t("kiosk.aheadCount", Math.max(0, (ticket.position ?? 1) - 1));
		$("ticket-wait").textContent = waitText(language(), ticket.estimated_wait_s);
	}
}

// The 80 mm slip (kiosk.css @media print): only this section prints.
function fillSlip(ticket, branch) {
	const diverted = ticket.status === "diverted";
	const ahead = Math.max(0, (ticket.position ?? 1) - 1);
	const issued = Date.parse(ticket.issued_at);
	$("print-branch").textContent = branch;
	$("print-number").textContent = ticket.number;
	$("print-lane").textContent = bi("kiosk.lane", (l) => tIn(l, `common.lanes.${ticket.lane}`));
	$("print-ahead").hidden = diverted;
	$("print-wait").hidden = diverted;
	$("print-ahead").textContent = bi("kiosk.ahead", (l) => tIn(l, "kiosk.aheadCount", ahead));
	$("print-wait").textContent = bi("kiosk.wait", (l) => waitText(l, ticket.estimated_wait_s));
	$("print-diverted").hidden = !diverted;
	$("print-diverted-title").textContent = both("kiosk.useMachines");
	$("print-why").textContent = `${tIn("zh", "kiosk.why")}${tIn("zh", `common.rules.${ticket.route_rule}`)} · ${tIn("en", "kiosk.why")} ${tIn("en", `common.rules.${ticket.route_rule}`)}`;
	$("print-helps").textContent = both("kiosk.lobbyHelps");
	$("print-issued").textContent = `${both("kiosk.issued")}: ${dateText(issued)} ${clockText(issued)}`;
}

// Shows the ticket and gets it onto paper.
export function issueSlip(ticket, branch) {
	renderTicket(ticket);
	fillSlip(ticket, branch);
	const note = $("ticket-print");
	if (ticket.printed === true) {
		note.textContent = both("kiosk.printed");
		return;
	}
	note.textContent = both("kiosk.printing");
	// after the screen has painted: print() holds the page while it runs
	requestAnimationFrame(() => setTimeout(() => window.print(), 0));
}
