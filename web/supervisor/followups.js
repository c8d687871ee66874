// The follow-ups list (report.followups: every complaint not closed,
// overdue first, then the soonest due) and one complaint's history with
// the forms to reassign it and to record a follow-up.

import { op } from "/lib/api.js";
import { t } from "/lib/i18n.js";
import { clockText, dateText, now } from "/lib/time.js";
import { duration, errorText, throttled, yuan } from "/supervisor/format.js";

const $ = (id) => document.getElementById(id);

function cell(text, className) {
	const td = document.createElement("td");
	td.textContent = text;
	if (className)
		td.className = className;
	return td;
}

// "14:05", or "11-24 14:05" when not today in the branch's zone.
function when(iso) {
	const ms = Date.parse(iso);
	const day = dateText(ms);
	return day === dateText(now()) ? clockText(ms) : `${day.slice(5)} ${clockText(ms)}`;
}

function isOverdue(c) {
	return c.overdue === true;
}

// Overdue first (the longest overdue first), then by due time, then id.
function order(a, b) {
	if (isOverdue(a) !== isOverdue(b))
		return isOverdue(a) ? -1 : 1;
	return Date.parse(a.follow_up_due) - Date.parse(b.follow_up_due) || a.id - b.id;
}

export class FollowUps {
	// onOverdue(n): the overdue count, for the tile.
	constructor({ onOverdue }) {
		this.onOverdue = onOverdue;
		this.list = null;
		this.summary = null;
		this.selected = null;	// the complaint shown, as complaint.get gave it
		this.request = throttled(() => this.refresh(), 1000, 300);
		$("reassign").addEventListener("submit", (e) => this.reassign(e));
		$("followup").addEventListener("submit", (e) => this.record(e));
		$("detail-close").addEventListener("click", () => this.close());
		setInterval(() => this.renderList(), 30000);
		window.addEventListener("languagechange", () => {
			this.renderList();
			this.renderDetail();
		});
	}

	async refresh() {
		const reply = await op("report.followups", { status: "open" });
		this.list = reply.complaints.slice().sort(order);
		this.summary = reply.summary;
		this.onOverdue(reply.summary?.overdue ?? this.list.filter(isOverdue).length);
		this.renderList();
		if (this.selected !== null)
			await this.select(this.selected.id, false);
	}

	renderList() {
		if (this.list === null)
			return;
		const s = this.summary;
		$("fu-summary").textContent = s ? t("supervisor.followups.summary", s.open, s.overdue, s.due_soon) : "";
		$("fu-empty").hidden = this.list.length > 0;
		const rows = this.list.map((c) => this.row(c));
		$("fu-rows").replaceChildren(...rows);
	}

	row(c) {
		const tr = document.createElement("tr");
		if (isOverdue(c))
			tr.className = "overdue";
		if (this.selected?.id === c.id)
			tr.setAttribute("aria-current", "true");
		const first = document.createElement("td");
		const b = document.createElement("button");
		b.type = "button";
		b.className = "link";
		b.textContent = t("supervisor.followups.open", c.id);
		b.addEventListener("click", () => this.select(c.id, true));
		first.append(b);
		const due = document.createElement("td");
		if (isOverdue(c)) {
			const badge = document.createElement("strong");
			badge.className = "badge-overdue";
			const s = Math.max(c.overdue_s ?? 0, Math.floor((now() - Date.parse(c.follow_up_due)) / 1000));
			badge.textContent = t("supervisor.followups.overdueBy", duration(s));
			due.append(badge);
		} else {
			const left = Math.floor((Date.parse(c.follow_up_due) - now()) / 1000);
			due.textContent = t("supervisor.followups.dueIn", when(c.follow_up_due), duration(left));
		}
		let category = t(`supervisor.categories.${c.category}`);
		if (typeof c.survey_score === "number")
			category += ` · ${t("supervisor.followups.survey", c.survey_score)}`;
		const last = c.last_followup
			? `${when(c.last_followup.at)} ${t(`supervisor.outcomes.${c.last_followup.outcome}`)}`
			: t("supervisor.followups.never");
		tr.append(first, cell(c.owner), cell(c.first_responder), cell(category),
			cell(t(`supervisor.severities.${c.severity}`)), due, cell(last));
		return tr;
	}

	// Shows complaint `id` with its history; `focus` moves the keyboard there.
	async select(id, focus) {
		let c;
		try {
			c = (await op("complaint.get", { complaint: id })).complaint;
		} catch (err) {
			$("reassign-error").textContent = errorText(err);
			return;
		}
		const changed = this.selected?.id !== id;
		this.selected = c;
		if (changed) {
			for (const p of ["reassign-error", "reassign-ok", "followup-error", "followup-ok"])
				$(p).textContent = "";
		}
		this.renderDetail();
		this.renderList();
		if (focus)
			$("detail-h").focus();
	}

	close() {
		this.selected = null;
		$("detail").hidden = true;
		this.renderList();
	}

	renderDetail() {
		const c = this.selected;
		if (c === null)
			return;
		$("detail").hidden = false;
		$("detail-h").textContent = t("supervisor.detail.heading", c.id);
		const facts = [
			["state", t(`supervisor.states.${c.state}`) + (c.overdue ? ` · ${t("supervisor.detail.overdue")}` : "")],
			["category", t(`supervisor.categories.${c.category}`)],
			["severity", t(`supervisor.severities.${c.severity}`)],
			["channel", t(`supervisor.channels.${c.channel}`)],
			["owner", c.owner],
			["firstResponder", c.first_responder],
			["logged", when(c.logged_at)],
			["due", when(c.follow_up_due)],
			["ticket", c.ticket ?? t("supervisor.none")],
			["compensation", yuan(c.compensation_fen ?? 0)],
			["description", c.description ?? ""],
		];
		const dl = $("detail-facts");
		dl.replaceChildren();
		for (const [key, value] of facts) {
			const div = document.createElement("div");
			const dt = document.createElement("dt");
			dt.textContent = t(`supervisor.detail.${key}`);
			const dd = document.createElement("dd");
			dd.textContent = value;
			dd.dataset.fact = key;
			div.append(dt, dd);
			dl.append(div);
		}
		const items = (c.actions ?? []).map((a) => {
			const li = document.createElement("li");
			const head = document.createElement("span");
			head.className = "history-head";
			head.textContent = t("supervisor.detail.action", t(`supervisor.kinds.${a.kind}`), a.actor ?? "",
				when(a.at));
			li.append(head);
			const extra = [];
			if (a.to_staff)
				extra.push(t("supervisor.detail.to", a.to_staff));
			if (a.outcome)
				extra.push(t(`supervisor.outcomes.${a.outcome}`));
			if (a.root_cause)
				extra.push(t(`supervisor.rootCauses.${a.root_cause}`));
			if (typeof a.amount_fen === "number")
				extra.push(t("supervisor.detail.amount", yuan(a.amount_fen)));
			if (a.note)
				extra.push(a.note);
			if (extra.length > 0) {
				const p = document.createElement("span");
				p.className = "history-note";
				p.textContent = extra.join(" · ");
				li.append(p);
			}
			return li;
		});
		$("detail-history").replaceChildren(...items);
	}

	async reassign(e) {
		e.preventDefault();
		const f = e.target;
		$("reassign-error").textContent = "";
		$("reassign-ok").textContent = "";
		const to = f.elements.to_staff.value.trim();
		try {
			await op("complaint.reassign", { complaint: this.selected.id, to_staff: to,
				reason: f.elements.reason.value.trim() });
		} catch (err) {
			$("reassign-error").textContent = errorText(err);
			return;
		}
		f.reset();
		$("reassign-ok").textContent = t("supervisor.reassign.done", to);
		await this.refresh();
	}

	async record(e) {
		e.preventDefault();
		const f = e.target;
		$("followup-error").textContent = "";
		$("followup-ok").textContent = "";
		try {
			await op("followup.record", { complaint: this.selected.id, outcome: f.elements.outcome.value,
				note: f.elements.note.value.trim() });
		} catch (err) {
			$("followup-error").textContent = errorText(err);
			return;
		}
		f.reset();
		$("followup-ok").textContent = t("supervisor.record.done");
		await this.refresh();
	}
}
