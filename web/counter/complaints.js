// The teller's complaints (DOMAIN §3): logging one heard at the counter,
// the list of one's own (overdue first, with the follow-up deadline as a
// local time and "due in 3 h" / "overdue 2 h"), and one complaint's history
// with the three things done to it: a recovery step, the resolution, the
// follow-up with the customer.

import { ApiError, op, requestKey } from "/lib/api.js";
import { t } from "/lib/i18n.js";
import { parseYuan, formatFen } from "/lib/money.js";
import { clockText, dateText, now } from "/lib/time.js";
import { explain, sessionEnded } from "/counter/errors.js";

const $ = (id) => document.getElementById(id);

const CATEGORIES = ["wait_time", "staff_attitude", "transaction_error", "fees",
	"self_service_machine", "system_outage", "product", "environment", "other"];
const CHANNELS = ["counter", "lobby", "phone", "letter", "online"];
const KINDS = ["apology", "explanation", "remedy", "compensation", "customer_update", "note"];
const ROOT_CAUSES = ["value", "system", "personnel", "customer", "external"];
const OUTCOMES = ["satisfied", "unsatisfied", "unreachable"];

// A <select>'s options from a list of values and a table section.
function fill(select, values, section) {
	const keep = select.value;
	select.replaceChildren(...values.map((v) => {
		const o = document.createElement("option");
		o.value = String(v);
		o.textContent = t(`${section}.${v}`);
		return o;
	}));
	if (keep && values.map(String).includes(keep))
		select.value = keep;
}

// "11-24 09:00" (the date only when it is not today) in the branch's zone.
function when(iso) {
	const ms = Date.parse(iso);
	const day = dateText(ms) === dateText(now()) ? "" : `${dateText(ms).slice(5)} `;
	return day + clockText(ms);
}

// "due in 3 h" / "overdue 2 h", from the daemon's clock.
function relative(c) {
	const s = Math.round((Date.parse(c.follow_up_due) - now()) / 1000);
	const late = c.overdue || s < 0;
	const abs = Math.abs(s);
	if (abs >= 3600)
		return t(late ? "counter.mine.overdueHours" : "counter.mine.inHours", Math.floor(abs / 3600));
	return t(late ? "counter.mine.overdueMinutes" : "counter.mine.inMinutes", Math.ceil(abs / 60));
}

export function complaints({ currentTicket, say }) {
	let list = [];
	let selected = null;		// the complaint shown in the detail, with actions
	let logKey = null;		// request_key of a log attempt whose reply was lost
	let logFields = null;		// ... and the fields it carried
	let loading = 0;

	// ---- the list ----

	async function refresh() {
		const mine = ++loading;
		try {
			const reply = await op("complaint.list", { status: $("mine-status").value });
			if (mine !== loading)
				return;
			list = reply.complaints;
			$("mine-truncated").hidden = !reply.truncated;
			renderList();
		} catch (err) {
			if (!sessionEnded(err) && err instanceof ApiError)
				say(explain(err), true);
		}
		if (selected !== null)
			await open(selected.id, false);
	}

	function renderList() {
		$("mine-empty").hidden = list.length > 0;
		$("mine").replaceChildren(...list.map((c) => {
			const li = document.createElement("li");
			li.className = c.overdue ? "overdue" : "";
			const b = document.createElement("button");
			b.type = "button";
			b.className = "complaint-row";
			b.dataset.id = c.id;
			b.setAttribute("aria-pressed", String(selected?.id === c.id));
			const head = document.createElement("span");
			head.className = "row-head";
			head.textContent = `#${c.id} · ${t(`counter.categories.${c.category}`)} · ` +
				`${t(`counter.severities.${c.severity}`)} · ${t(`counter.states.${c.state}`)}`;
			const due = document.createElement("span");
			due.className = "row-due";
			due.textContent = c.state === "closed" ? ""
				: `${t("counter.mine.due", when(c.follow_up_due))} · ${relative(c)}`;
			const text = document.createElement("span");
			text.className = "row-text";
			text.textContent = c.description ?? "";
			b.append(head, due, text);
			b.addEventListener("click", () => open(c.id, true));
			li.append(b);
			return li;
		}));
	}

	// ---- one complaint ----

	async function open(id, focus) {
		try {
			const reply = await op("complaint.get", { complaint: id });
			selected = reply.complaint;
			renderDetail();
			renderList();
			$("detail").hidden = false;
			if (focus)
				$("detail-heading").focus();
		} catch (err) {
			if (!sessionEnded(err))
				say(explain(err), true);
		}
	}

	function fact(dl, key, value) {
		const dt = document.createElement("dt");
		dt.textContent = t(`counter.detail.${key}`);
		const dd = document.createElement("dd");
		dd.textContent = value;
		dl.append(dt, dd);
	}

	function renderDetail() {
		const c = selected;
		if (c === null)
			return;
		$("detail-heading").textContent = t("counter.detail.heading", c.id);
		const dl = $("detail-facts");
		dl.replaceChildren();
		fact(dl, "state", t(`counter.states.${c.state}`) +
			(c.overdue ? ` · ${t("counter.mine.overdue")}` : ""));
		fact(dl, "category", t(`counter.categories.${c.category}`));
		fact(dl, "severity", t(`counter.severities.${c.severity}`));
		fact(dl, "due", c.state === "closed" ? t("common.none")
			: `${when(c.follow_up_due)} · ${relative(c)}`);
		fact(dl, "owner", c.owner);
		fact(dl, "firstResponder", c.first_responder);
		if (c.ticket)
			fact(dl, "ticket", c.ticket);
		if (c.customer)
			fact(dl, "customer", [c.customer.name, c.customer.phone].filter(Boolean).join(" · "));
		else if (c.erased_at)	/* retention erased it (SECURITY.md) */
			fact(dl, "customer", t("counter.detail.customerErased", when(c.erased_at)));
		fact(dl, "description", c.description ?? "");
		fact(dl, "compensation", formatFen(c.compensation_fen ?? 0));
		$("history").replaceChildren(...(c.actions ?? []).map((a) => {
			const li = document.createElement("li");
			li.className = `kind-${a.kind}`;
			const head = document.createElement("span");
			head.className = "history-head";
			let text = `${when(a.at)} · ${t(`counter.kinds.${a.kind}`)}`;
			if (a.actor)
				text += ` · ${a.actor}`;
			if (a.amount_fen != null)
				text += ` · ${formatFen(a.amount_fen)}`;
			if (a.outcome)
				text += ` · ${t(`counter.outcomes.${a.outcome}`)}`;
			if (a.on_time != null)
				text += ` · ${t(a.on_time ? "counter.detail.onTime" : "counter.detail.late")}`;
			if (a.root_cause)
				text += ` · ${t(`counter.rootCauses.${a.root_cause}`)}`;
			head.textContent = text;
			li.append(head);
			if (a.note) {
				const note = document.createElement("span");
				note.className = "history-note";
				note.textContent = a.note;
				li.append(note);
			}
			return li;
		}));
		const closed = c.state === "closed";
		for (const f of ["action-form", "followup-form"])
			$(f).hidden = closed;
		$("resolve-form").hidden = c.state !== "open";
	}

	// One of the three forms: send, show what the daemon said, reload.
	function form(id, name, fields) {
		$(id).addEventListener("submit", async (ev) => {
			ev.preventDefault();
			$("detail-error").textContent = "";
			const body = fields($(id));
			if (body === null)
				return;
			try {
				await op(name, { complaint: selected.id, ...body });
				$(id).reset();
				showAmount();
				say(t("counter.detail.recorded"));
				await refresh();
			} catch (err) {
				if (!sessionEnded(err)) {
					$("detail-error").textContent = explain(err);
					$("detail-error").classList.toggle("over-authority",
						err instanceof ApiError && err.code === "over_authority");
				}
			}
		});
	}

	function showAmount() {
		$("action-amount-row").hidden = $("action-kind").value !== "compensation";
		$("action-amount").required = !$("action-amount-row").hidden;
	}
	$("action-kind").addEventListener("change", showAmount);

	form("action-form", "complaint.action", (f) => {
		const body = { kind: f.elements.kind.value, note: f.elements.note.value };
		if (body.kind === "compensation") {
			const fen = parseYuan(f.elements.amount.value.trim());
			if (fen === null) {
				$("detail-error").textContent = t("counter.detail.badAmount");
				return null;
			}
			body.amount_fen = fen;
		}
		return body;
	});
	form("resolve-form", "complaint.resolve", (f) => ({
		resolution: f.elements.resolution.value, root_cause: f.elements.root_cause.value }));
	form("followup-form", "followup.record", (f) => ({
		outcome: f.elements.outcome.value, note: f.elements.note.value }));

	// ---- logging a complaint ----

	function openLog() {
		$("log-panel").hidden = false;
		$("log-error").textContent = "";
		const ticket = currentTicket();
		if (ticket && !$("log-ticket").value)
			$("log-ticket").value = ticket;
		$("log-category").focus();
	}

	function closeLog() {
		$("log-form").reset();
		$("log-channel").value = "counter";
		$("log-panel").hidden = true;
		$("log-open").focus();
	}

	$("log-open").addEventListener("click", openLog);
	$("log-cancel").addEventListener("click", closeLog);
	$("log-form").addEventListener("submit", async (ev) => {
		ev.preventDefault();
		const f = ev.target.elements;
		const body = {
			category: f.category.value, severity: Number(f.severity.value),
			description: f.description.value, channel: f.channel.value,
		};
		const ticket = f.ticket.value.trim().toUpperCase();
		if (ticket)
			body.ticket = ticket;
		const name = f.name.value.trim(), phone = f.phone.value.trim();
		if (name || phone)
			body.customer = { ...(name ? { name } : {}), ...(phone ? { phone } : {}) };
		// PROTOCOL request_key: a new key per attempt, the same one again
		// when the last attempt's reply never came (so it is logged once).
		const same = JSON.stringify(body);
		if (logKey === null || logFields !== same) {
			logKey = requestKey();
			logFields = same;
		}
		try {
			const reply = await op("complaint.log", { ...body, request_key: logKey });
			logKey = null;
			closeLog();
			say(t("counter.log.logged", reply.complaint.id));
			selected = { id: reply.complaint.id };
			await refresh();
		} catch (err) {
			if (sessionEnded(err))
				return;
			if (err instanceof ApiError)
				logKey = null;
			$("log-error").textContent = err instanceof ApiError ? explain(err) : t("counter.log.retry");
		}
	});

	$("mine-status").addEventListener("change", refresh);

	function strings() {
		fill($("log-category"), CATEGORIES, "counter.categories");
		fill($("log-severity"), [1, 2, 3], "counter.severities");
		fill($("log-channel"), CHANNELS, "counter.channels");
		fill($("action-kind"), KINDS, "counter.kinds");
		fill($("resolve-cause"), ROOT_CAUSES, "counter.rootCauses");
		fill($("followup-outcome"), OUTCOMES, "counter.outcomes");
		renderList();
		renderDetail();
	}
	strings();
	$("log-channel").value = "counter";
	$("detail-heading").tabIndex = -1;
	showAmount();
	window.addEventListener("languagechange", strings);
	// "due in 3 h" moves on by itself
	setInterval(() => { renderList(); }, 30000);

	return {
		refresh,
		openLog,
		// a ticket was called while the log form is open and its ticket empty
		ticketChanged(number) {
			if (!$("log-panel").hidden && !$("log-ticket").value && number)
				$("log-ticket").value = number;
		},
	};
}
