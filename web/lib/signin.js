// The sign-in form every page shows without a session (PROTOCOL HTTP: its
// inputs are named terminal and token).  Resolves with the session once
// the daemon accepts the terminal and token.

import { ApiError, signIn, whoami } from "/lib/api.js";
import { both } from "/lib/i18n.js";

function field(name, label, type) {
	const wrap = document.createElement("p");
	const lab = document.createElement("label");
	const input = document.createElement("input");
	input.name = name;
	input.id = `signin-${name}`;
	input.type = type;
	input.required = true;
	input.autocomplete = name === "token" ? "current-password" : "username";
	lab.htmlFor = input.id;
	lab.textContent = label;
	wrap.append(lab, input);
	return wrap;
}

function form(root, resolve) {
	const f = document.createElement("form");
	f.className = "signin";
	// Which screen this is (the page's <title> before " — "): the same form
	// serves all four, and whoever signs a device in must see which it is.
	const page = document.createElement("p");
	page.className = "signin-page";
	page.textContent = document.title.split(" — ")[0];
	const h = document.createElement("h1");
	h.textContent = both("signin.title");
	const msg = document.createElement("p");
	msg.className = "signin-error";
	msg.setAttribute("role", "alert");
	const button = document.createElement("button");
	button.type = "submit";
	button.textContent = both("signin.submit");
	f.append(page, h, field("terminal", both("signin.terminal"), "text"),
		field("token", both("signin.token"), "password"), button, msg);
	f.addEventListener("submit", async (ev) => {
		ev.preventDefault();
		msg.textContent = "";
		try {
			const session = await signIn(f.elements.terminal.value.trim(),
				f.elements.token.value);
			f.remove();
			resolve(session);
		} catch (err) {
			if (err instanceof ApiError && err.status === 429) {
				const s = err.detail?.retry_after_s ?? "";
				msg.textContent = both("signin.locked", s);
			} else if (err instanceof ApiError)
				msg.textContent = both("signin.failed");
			else
				msg.textContent = both("signin.offline");
		}
	});
	root.replaceChildren(f);
	f.elements.terminal.focus();
}

// The session, asking for a sign-in first if there is none.
export async function session(root) {
	const who = await whoami();
	if (who !== null)
		return who;
	return new Promise((resolve) => form(root, resolve));
}
