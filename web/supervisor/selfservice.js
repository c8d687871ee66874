// The self-service switch: whether simple jobs are sent to the machines.
// It changes routing for every customer, so it asks first.

import { op } from "/lib/api.js";
import { t } from "/lib/i18n.js";
import { errorText } from "/supervisor/format.js";

const $ = (id) => document.getElementById(id);

export class SelfService {
	// changed(): after a switch, so the page reloads its snapshot.
	constructor({ changed }) {
		this.available = null;
		this.changed = changed;
		$("ss-toggle").addEventListener("click", () => this.ask());
		$("ss-confirm-no").addEventListener("click", () => $("ss-confirm").close());
		$("ss-confirm-yes").addEventListener("click", () => this.flip());
		window.addEventListener("languagechange", () => this.render());
		this.render();
	}

	set(available) {
		this.available = available;
		this.render();
	}

	render() {
		const on = this.available;
		const toggle = $("ss-toggle");
		toggle.hidden = on === null;
		$("ss-state").textContent = on === null ? t("common.loading")
			: t(on ? "supervisor.selfservice.on" : "supervisor.selfservice.off");
		$("ss-state").className = `ss-state ${on === false ? "is-off" : "is-on"}`;
		toggle.textContent = t(on ? "supervisor.selfservice.turnOff" : "supervisor.selfservice.turnOn");
		$("ss-confirm-text").textContent = t(on ? "supervisor.selfservice.confirmOff" : "supervisor.selfservice.confirmOn");
		$("ss-confirm-yes").textContent = t(on ? "supervisor.selfservice.yesOff" : "supervisor.selfservice.yesOn");
	}

	ask() {
		$("ss-error").textContent = "";
		this.render();
		$("ss-confirm").showModal();
		$("ss-confirm-no").focus();
	}

	async flip() {
		$("ss-confirm").close();
		try {
			const reply = await op("selfservice.set", { available: !this.available });
			this.set(reply.available);
		} catch (err) {
			$("ss-error").textContent = errorText(err);
		}
		this.changed();
		$("ss-toggle").focus();
	}
}
