// The visit card: who is at the window now.  Number and status, service,
// amount (integer fen), the customer's needs, how long they waited (issue
// to call, or so far) and the service timer since start, on the daemon's
// clock (time.js), redrawn every second.

import { t } from "/lib/i18n.js";
import { formatFen } from "/lib/money.js";
import { secondsSince, timerText } from "/lib/time.js";

const $ = (id) => document.getElementById(id);

function needs(flags) {
	const out = [];
	for (const f of ["loose_cash", "vip", "needs_assistance"])
		if (flags?.[f])
			out.push(t(`counter.card.flags.${f}`));
	if (flags?.accessibility)
		out.push(t("counter.card.flags.accessibility", t(`common.accessibility.${flags.accessibility}`)));
	return out;
}

function waited(ticket) {
	if (ticket.called_at)
		return timerText(Math.max(0, Math.floor(
			(Date.parse(ticket.called_at) - Date.parse(ticket.issued_at)) / 1000)));
	return t("counter.card.waitedSoFar", timerText(secondsSince(ticket.issued_at)));
}

// ticket: the current ticket or null; last: {number, status} of the one
// just finished; open: whether this terminal holds a window.
export function renderCard(ticket, last, open) {
	const body = $("card-body"), empty = $("card-empty");
	$("card").classList.toggle("serving", ticket?.status === "serving");
	if (ticket === null) {
		body.hidden = true;
		empty.hidden = false;
		const lines = [t(open ? "counter.card.empty" : "counter.card.noWindow")];
		if (last)
			lines.unshift(t("counter.card.last", last.number, t(`common.statuses.${last.status}`)));
		empty.textContent = lines.join(" ");
		return;
	}
	empty.hidden = true;
	body.hidden = false;
	$("card-number").textContent = ticket.number;
	$("card-status").textContent = t(`common.statuses.${ticket.status}`);
	$("card-status").dataset.status = ticket.status;
	$("card-service").textContent = t(`common.services.${ticket.service}`);
	$("card-amount").textContent = ticket.amount_fen == null ? t("common.none")
		: formatFen(ticket.amount_fen);
	const list = needs(ticket.flags);
	const dd = $("card-needs");
	dd.replaceChildren(...(list.length ? list : [t("counter.card.noNeeds")]).map((text) => {
		const s = document.createElement("span");
		s.className = list.length ? "need" : "";
		s.textContent = text;
		return s;
	}));
	$("card-recalls").textContent = String(ticket.recalls ?? 0);
	tick(ticket);
}

// The two running times, every second.
export function tick(ticket) {
	if (ticket === null)
		return;
	$("card-waited").textContent = waited(ticket);
	$("card-timer").textContent = ticket.started_at
		? timerText(secondsSince(ticket.started_at)) : t("counter.card.notStarted");
}
