// The lanes a window serves, in calling order: one row per lane with a
// checkbox and move-up / move-down buttons, so the order is seen and set
// from the keyboard as well as the mouse.

import { t } from "/lib/i18n.js";

const LANES = ["counter", "express", "vip"];

export function lanePicker(list) {
	let order = [...LANES];
	const chosen = new Set(["counter"]);

	function move(lane, by) {
		const i = order.indexOf(lane), j = i + by;
		if (j < 0 || j >= order.length)
			return;
		[order[i], order[j]] = [order[j], order[i]];
		render();
		const row = list.querySelector(`[data-lane="${lane}"]`);
		const same = row.querySelector(by < 0 ? ".up" : ".down");
		(same.disabled ? row.querySelector("input") : same).focus();
	}

	function button(cls, label, lane, by, disabled) {
		const b = document.createElement("button");
		b.type = "button";
		b.className = `secondary small-button ${cls}`;
		b.textContent = by < 0 ? "↑" : "↓";
		b.setAttribute("aria-label", label);
		b.disabled = disabled;
		b.addEventListener("click", () => move(lane, by));
		return b;
	}

	function render() {
		const rows = order.map((lane, i) => {
			const li = document.createElement("li");
			li.dataset.lane = lane;
			const box = document.createElement("input");
			box.type = "checkbox";
			box.id = `lane-${lane}`;
			box.checked = chosen.has(lane);
			box.addEventListener("change", () => {
				if (box.checked)
					chosen.add(lane);
				else
					chosen.delete(lane);
			});
			const label = document.createElement("label");
			label.htmlFor = box.id;
			label.textContent = t(`common.lanes.${lane}`);
			const pos = document.createElement("span");
			pos.className = "order";
			pos.textContent = t("counter.window.order", i + 1);
			li.append(pos, box, label,
				button("up", t("counter.window.moveUp", label.textContent), lane, -1, i === 0),
				button("down", t("counter.window.moveDown", label.textContent), lane, 1,
					i === order.length - 1));
			return li;
		});
		list.replaceChildren(...rows);
	}

	window.addEventListener("languagechange", render);
	render();
	return {
		// the chosen lanes in calling order
		value: () => order.filter((l) => chosen.has(l)),
		// show a window's lanes (after a reload) as the form's starting point
		set(lanes) {
			order = [...lanes, ...LANES.filter((l) => !lanes.includes(l))];
			chosen.clear();
			for (const l of lanes)
				chosen.add(l);
			render();
		},
	};
}
