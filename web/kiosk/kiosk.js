// The lobby ticket kiosk (DOMAIN §6): service → amount (cash and transfer
// only) → needs → the ticket, then back to the start.  Touch only, large
// targets, Chinese first; closed while no window is open.

import { ApiError, op, requestKey } from "/lib/api.js";
import { both, setLanguage, t } from "/lib/i18n.js";
import { formatFen } from "/lib/money.js";
import { languageButton, start } from "/lib/page.js";
import { clockText, now } from "/lib/time.js";
import { watchBranch } from "/kiosk/branch.js";
import { amountPad } from "/kiosk/keypad.js";
import { issueSlip, renderTicket } from "/kiosk/ticket.js";

const AMOUNT_SERVICES = ["cash_withdrawal", "cash_deposit", "transfer"];
const CASH_SERVICES = ["cash_withdrawal", "cash_deposit"];
const TICKET_S = 15;	// the ticket stays this long (DOMAIN §6)
const IDLE_S = 60;	// any other screen returns to the start after this without a touch

const $ = (id) => document.getElementById(id);
const screens = ["start", "amount", "needs", "ticket"];

const who = await start({ page: "kiosk", roles: ["kiosk", "lobby"] });
$("branch").textContent = who.branch ?? "";
$("lang-slot").replaceWith(languageButton());
$("offline").textContent = both("kiosk.offline");

// ---- what this customer asked for ----
let visit = null;	// { service, amount_fen, loose_cash, needs_assistance, accessibility }
let ticket = null;	// the ticket issued for it
let branch = { known: false, online: true, open: false };

// ---- screens and the timer that brings the kiosk back to the start ----
let current = "start", timer = null, countdown = 0;

function show(name) {
	current = name;
	for (const s of screens)
		$(s).hidden = s !== name;
	clearInterval(timer);
	timer = null;
	if (name === "ticket") {
		countdown = TICKET_S;
		renderCountdown();
		timer = setInterval(() => {
			countdown--;
			renderCountdown();
			if (countdown <= 0)
				restart();
		}, 1000);
	} else if (name !== "start")
		touched();
}

// Any touch on a screen in the middle of a visit gives the customer another minute.
function touched() {
	if (current === "start" || current === "ticket")
		return;
	clearInterval(timer);
	timer = setTimeout(restart, IDLE_S * 1000);
}
document.addEventListener("pointerdown", touched, true);
document.addEventListener("keydown", touched, true);

function renderCountdown() {
	$("countdown").textContent = t("kiosk.returning", Math.max(0, countdown));
}

// Back to the start for the next customer, in Chinese.
function restart() {
	visit = null;
	ticket = null;
	pending = null;
	setLanguage("zh");
	show("start");
	renderStart();
}

// ---- 1. the start: nine services, or why there are none ----
function renderStart() {
	const issuing = branch.known && branch.online && branch.open;
	$("services").hidden = !issuing;
	$("closed").hidden = issuing;
	if (!branch.known) {
		$("closed-title").textContent = both("common.loading");
		$("closed-hint").textContent = "";
	} else if (!branch.online) {
		$("closed-title").textContent = both("kiosk.offline");
		$("closed-hint").textContent = "";
	} else if (!branch.open) {
		$("closed-title").textContent = both("kiosk.closed");
		$("closed-hint").textContent = both("kiosk.closedHint");
	}
}

for (const b of $("services").querySelectorAll("[data-service]")) {
	b.addEventListener("click", () => {
		visit = { service: b.dataset.service, amount_fen: null, loose_cash: false,
			needs_assistance: false, accessibility: null };
		if (AMOUNT_SERVICES.includes(visit.service)) {
			pad.clear();
			showAmount();
		} else
			showNeeds();
	});
}

// ---- 2. the amount, on the keypad ----
const pad = amountPad($("amount"), (fen) => {
	visit.amount_fen = fen;
	showNeeds();
});

function renderServiceName() {
	if (visit === null)
		return;
	for (const e of document.querySelectorAll(".service-name"))
		e.textContent = t(`common.services.${visit.service}`);
	$("needs-amount").textContent = visit.amount_fen === null ? ""
		: ` ¥${formatFen(visit.amount_fen)}`;
}

function showAmount() {
	renderServiceName();
	show("amount");
}

// ---- 3. the customer's needs, then "take ticket" ----
const loose = $("need-loose"), assist = $("need-assist");
const accessButtons = [...document.querySelectorAll("[data-access]")];

function renderNeeds() {
	loose.hidden = !CASH_SERVICES.includes(visit.service);
	loose.setAttribute("aria-pressed", String(visit.loose_cash));
	assist.setAttribute("aria-pressed", String(visit.needs_assistance));
	for (const b of accessButtons)
		b.setAttribute("aria-pressed", String(visit.accessibility === b.dataset.access));
	$("issue-error").textContent = "";
	$("take").disabled = false;
	$("take").textContent = t("kiosk.take");
}

function showNeeds() {
	renderServiceName();
	renderNeeds();
	show("needs");
}

loose.addEventListener("click", () => { visit.loose_cash = !visit.loose_cash; renderNeeds(); });
assist.addEventListener("click", () => { visit.needs_assistance = !visit.needs_assistance; renderNeeds(); });
for (const b of accessButtons) {
	b.addEventListener("click", () => {	// one of them, or none
		visit.accessibility = visit.accessibility === b.dataset.access ? null : b.dataset.access;
		renderNeeds();
	});
}

for (const b of document.querySelectorAll("[data-action=back]")) {
	b.addEventListener("click", () => {
		if (current === "needs" && AMOUNT_SERVICES.includes(visit.service))
			show("amount");
		else
			restart();
	});
}
for (const b of document.querySelectorAll("[data-action=restart]"))
	b.addEventListener("click", restart);

// ---- 4. issue: one request_key per attempt, the same one again after a
// network failure, so a retry never makes a second ticket ----
let pending = null;	// { key, body } of a request whose answer never came

function issueRequest() {
	const flags = { needs_assistance: visit.needs_assistance };
	if (CASH_SERVICES.includes(visit.service))
		flags.loose_cash = visit.loose_cash;
	if (visit.accessibility !== null)
		flags.accessibility = visit.accessibility;
	const body = { service: visit.service, flags };
	if (visit.amount_fen !== null)
		body.amount_fen = visit.amount_fen;
	return body;
}

$("take").addEventListener("click", async () => {
	const body = issueRequest();
	const same = pending !== null && JSON.stringify(pending.body) === JSON.stringify(body);
	if (!same)
		pending = { key: requestKey(), body };
	const mine = visit;
	$("take").disabled = true;
	$("take").textContent = t("kiosk.taking");
	$("issue-error").textContent = "";
	try {
		const reply = await op("ticket.issue", { ...body, request_key: pending.key });
		pending = null;
		if (visit !== mine)
			return;	// the kiosk went back to the start meanwhile
		ticket = reply.ticket;
		show("ticket");
		issueSlip(ticket, who.branch ?? "");
	} catch (e) {
		if (visit !== mine)
			return;
		$("take").disabled = false;
		$("take").textContent = t("kiosk.take");
		if (e instanceof ApiError) {
			pending = null;
			if (e.status === 401) {
				location.reload();
				return;
			}
			$("issue-error").textContent = `${both("kiosk.refused")} (${e.message})`;
		} else
			$("issue-error").textContent = both("kiosk.unreachable");
	}
});

// ---- 5. the ticket, then back to the start ----
$("done").addEventListener("click", restart);

window.addEventListener("languagechange", () => {
	renderServiceName();
	if (current === "needs")
		$("take").textContent = t($("take").disabled ? "kiosk.taking" : "kiosk.take");
	if (current === "ticket" && ticket !== null) {
		renderTicket(ticket);
		renderCountdown();
	}
});

// ---- 6. open, closed, offline ----
watchBranch(({ online, open }) => {
	branch = { known: true, online, open };
	document.body.classList.toggle("offline", !online);
	if (online && !open && (current === "amount" || current === "needs"))
		restart();	// the last window closed: nothing can be issued
	renderStart();
});

// the clock in the corner, on the daemon's time
function tick() {
	$("clock").textContent = clockText(now());
}
tick();
setInterval(tick, 1000);

restart();
