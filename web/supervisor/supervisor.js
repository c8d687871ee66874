// The supervisor's dashboard: live tiles over the queue, the follow-ups
// that are due (overdue first) with each complaint's history, the
// self-service switch, and reports for any date range with CSV export.

import { op } from "/lib/api.js";
import { t } from "/lib/i18n.js";
import { live } from "/lib/live.js";
import { languageButton, signOutButton, start } from "/lib/page.js";
import { clockText, dateText, now, observe } from "/lib/time.js";
import { duration, throttled } from "/supervisor/format.js";
import { FollowUps } from "/supervisor/followups.js";
import { Reports } from "/supervisor/reports.js";
import { SelfService } from "/supervisor/selfservice.js";
import { Tiles } from "/supervisor/tiles.js";

const $ = (id) => document.getElementById(id);

// 1. Signed in as a supervisor, on the daemon's clock.
const who = await start({ page: "supervisor", roles: ["supervisor"] });
try {
	observe((await op("ping")).now);
} catch {
	/* live.js keeps trying */
}
$("who").textContent = t("supervisor.who", who.terminal, who.staff ?? "");
$("head-actions").append(languageButton(), signOutButton());
const tickClock = () => { $("clock").textContent = `${dateText(now())} ${clockText(now())}`; };
tickClock();
setInterval(tickClock, 1000);

// 2. The tiles, the follow-ups and the switch.
const tiles = new Tiles($("tiles"));
const followUps = new FollowUps({ onOverdue: (n) => tiles.setOverdue(n) });
const selfService = new SelfService({ changed: () => refreshSnapshot() });

// Served today: a report (it runs on the daemon's worker), so at most
// every 30 s, after events, and every 30 s anyway.
const refreshServed = throttled(async () => {
	const today = dateText(now());
	const s = await op("report.summary", { from: today, to: today });
	tiles.setServed(s.tickets?.by_status?.done ?? null, s.waiting?.target_wait_s);
}, 30000);
setInterval(refreshServed, 30000);

// Head office (docs/HEADOFFICE.md): whether the branch's history is
// reaching it.  Only a branch configured for head office says.
let lastHq = null;
function showHq(hq) {
	const p = $("hq");
	lastHq = hq;
	p.hidden = !hq;
	if (!hq)
		return;
	p.textContent = hq.connected
		? (hq.backlog === 0 ? t("supervisor.hq.upToDate") : t("supervisor.hq.sending", hq.backlog))
		: t("supervisor.hq.unreachable", hq.backlog,
			hq.lag_s < 60 ? t("supervisor.hq.underAMinute") : duration(hq.lag_s));
	p.className = `sup-hq ${hq.connected ? "level-ok" : "level-warn"}`;
}

window.addEventListener("languagechange", () => showHq(lastHq));

function showSnapshot(snap) {
	observe(snap.now);
	tiles.setLanes(snap.lanes, snap.now);
	tiles.setWindows(snap.windows);
	selfService.set(snap.self_service_available);
	showHq(snap.hq);
}

// Windows and the switch are not in queue.changed: a change reloads the
// snapshot, once per burst.
const refreshSnapshot = throttled(async () => showSnapshot(await op("queue.snapshot")), 1000, 300);
// Head office's backlog moves without an event: the snapshot every 30 s,
// on a branch that ships to head office.
setInterval(() => { if (lastHq) refreshSnapshot(); }, 30000);

// 3. Live: the snapshot, then the events over it.
live({
	topics: "calls,queue,followups",
	snapshot: () => op("queue.snapshot"),
	onSnapshot(snap) {
		showSnapshot(snap);
		followUps.request();
		refreshServed();
	},
	onEvent(name, data) {
		if (name === "queue.changed") {
			tiles.setLanes(data.lanes, data.at);
			refreshSnapshot();
			refreshServed();
		} else if (name === "ticket.called") {
			refreshSnapshot();
		} else if (name === "day.ended") {
			refreshSnapshot();
			refreshServed();
		} else if (["complaint.logged", "followup.overdue", "followup.recorded"].includes(name)) {
			followUps.request();
		}
	},
});

// 4. Reports: today's business date by default.
const reports = new Reports();
const today = dateText(now());
reports.setDates(today, today);
reports.load();
