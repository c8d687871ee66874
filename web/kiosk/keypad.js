// The amount, typed in yuan on the on-screen keypad (DOMAIN §6: exact to
// the fen).  The text is kept as the customer typed it and parsed by
// money.js, never through a float; a key that would make it impossible
// (a third decimal, a leading zero, an eleventh digit) is disabled.

import { canExtend, formatFen, parseYuan } from "/lib/money.js";
import { t } from "/lib/i18n.js";

// "1234567.5" → "1,234,567.5": grouped, but as typed (the point stays).
function grouped(text) {
	return text.replace(/^\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, ","));
}

// section: the amount screen; onConfirm(fen) when the customer confirms.
export function amountPad(section, onConfirm) {
	let text = "";
	const shown = section.querySelector("#amount-text");
	const exact = section.querySelector("#amount-exact");
	const confirm = section.querySelector("#confirm");
	const keys = [...section.querySelectorAll("[data-key]")];

	function render() {
		shown.textContent = text === "" ? "0" : grouped(text);
		shown.classList.toggle("empty", text === "");
		const fen = parseYuan(text);
		if (fen !== null)
			exact.textContent = t("kiosk.amountExact", formatFen(fen));
		else
			exact.textContent = text === "" ? "" : t("kiosk.amountRange");
		for (const k of keys) {
			const key = k.dataset.key;
			if (key === "delete" || key === "clear")
				k.disabled = text === "";
			else
				k.disabled = !canExtend(text + key);
		}
		confirm.disabled = fen === null;
	}

	function press(key) {
		if (key === "delete")
			text = text.slice(0, -1);
		else if (key === "clear")
			text = "";
		else if (canExtend(text + key))
			text += key;
		render();
	}

	for (const k of keys)
		k.addEventListener("click", () => press(k.dataset.key));
	confirm.addEventListener("click", () => {
		const fen = parseYuan(text);
		if (fen !== null)
			onConfirm(fen);
	});
	// A keyboard, where a kiosk has one (or a tester): the same keys.
	section.addEventListener("keydown", (ev) => {
		const map = { Backspace: "delete", Escape: "clear" };
		const key = map[ev.key] ?? (/^[0-9.]$/.test(ev.key) ? ev.key : null);
		if (key !== null) {
			ev.preventDefault();
			press(key);
		}
	});
	window.addEventListener("languagechange", render);

	render();
	// A new customer starts from nothing; "back" from the needs keeps
	// what was typed.
	return {
		clear() {
			text = "";
			render();
		},
	};
}
