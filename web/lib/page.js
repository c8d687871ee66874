// What every page does first: its strings, the sign-in when this device
// has no session, the check that the terminal's role may use the page, and
// the branch's time zone.  A page that loads while the daemon is down says
// so and keeps trying, so a lobby TV switched on before the server comes
// up by itself.

import { ApiError, signOut } from "/lib/api.js";
import { apply, both, el, language, setLanguage, t } from "/lib/i18n.js";
import { session } from "/lib/signin.js";
import { setZone } from "/lib/time.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function signedIn(gate) {
	for (;;) {
		try {
			return await session(gate);
		} catch (e) {
			if (e instanceof ApiError)
				throw e;
			const p = document.createElement("p");
			p.className = "gate-offline";
			p.setAttribute("role", "status");
			p.textContent = both("common.offline");
			gate.replaceChildren(p);
			await sleep(2000);
		}
	}
}

// Signs in as one of `roles` and shows the page's <main>; resolves with
// the session (role, staff, terminal, branch, timezone, business_date).
export async function start({ page, roles }) {
	document.title = `${both(`${page}.title`)} — branchq`;
	apply();
	const app = document.querySelector("main");
	app.hidden = true;
	const gate = document.createElement("div");
	gate.className = "gate";
	app.before(gate);
	const who = await signedIn(gate);
	if (!roles.includes(who.role)) {
		const p = document.createElement("p");
		p.setAttribute("role", "alert");
		p.textContent = both("common.wrongRole", who.terminal, who.role);
		gate.replaceChildren(p, signOutButton());
		return new Promise(() => {});
	}
	gate.remove();
	setZone(who.timezone);
	app.hidden = false;
	return who;
}

// A button that switches between Chinese and English.
export function languageButton() {
	const b = document.createElement("button");
	b.type = "button";
	b.className = "lang-switch";
	const label = () => {
		b.textContent = t("common.switchLanguage");
		b.setAttribute("aria-label", t("common.switchLanguageLabel"));
		b.lang = language() === "zh" ? "en" : "zh-CN";
	};
	label();
	b.addEventListener("click", () => setLanguage(language() === "zh" ? "en" : "zh"));
	window.addEventListener("languagechange", label);
	return b;
}

export function signOutButton() {
	const b = el("button", "common.signOut");
	b.type = "button";
	b.className = "secondary";
	window.addEventListener("languagechange", () => { b.textContent = t("common.signOut"); });
	b.addEventListener("click", async () => {
		try {
			await signOut();
		} finally {
			location.reload();
		}
	});
	return b;
}
