// English — every string the pages show (the second language).
// The same keys as zh.js.

export default {
	common: {
		signOut: "Sign out",
		switchLanguage: "中文",
		switchLanguageLabel: "Switch to Chinese",
		offline: "Offline: reconnecting…",
		online: "Connected",
		wrongRole: (terminal, role) => `Terminal ${terminal} (${role}) cannot use this page.`,
		loading: "Loading…",
		minutes: (n) => `${n} min`,
		seconds: (n) => `${n} s`,
		none: "—",
		lanes: {
			self_service: "Self-service", express: "Express cash", counter: "Counter", vip: "VIP",
		},
		services: {
			cash_withdrawal: "Cash withdrawal", cash_deposit: "Cash deposit", transfer: "Transfer",
			account_opening: "Account opening", card_services: "Card services", loan: "Loan",
			wealth_management: "Wealth management", foreign_exchange: "Foreign exchange",
			other: "Other",
		},
		rules: {
			cash_within_threshold: "Cash jobs of 20,000 yuan or less can be done at the machines",
			transfer_within_threshold: "Transfers of 50,000 yuan or less can be done at the machines",
			loose_cash: "Loose notes and coins are taken at the counter",
			counter_idle: "The counter is free now",
			vip: "Priority customer", needs_assistance: "Assistance needed",
			accessibility: "Barrier-free service",
			self_service_unavailable: "The self-service machines are out of service",
			express_cash: "Express cash lane", over_threshold: "Above the self-service limit",
			not_divertible: "Done at the counter",
		},
		statuses: {
			diverted: "Self-service", waiting: "Waiting", called: "Called", serving: "Serving",
			done: "Done", no_show: "No-show", cancelled: "Cancelled", expired: "Expired",
		},
		accessibility: {
			wheelchair: "Wheelchair", sign_language: "Sign language", visual: "Visual", other: "Other",
		},
	},
	signin: {
		title: "Sign this device in",
		terminal: "Terminal id",
		token: "Token",
		submit: "Sign in",
		failed: "Terminal id or token not recognised.",
		locked: (s) => `Too many attempts; try again in ${s} s.`,
		offline: "Cannot reach the server.",
	},

	// ---- kiosk ----
	kiosk: {
		title: "Kiosk",
	},

	// ---- display ----
	display: {
		title: "Lobby display",
		welcome: "Welcome",
		nowCalling: "Now calling",
		noCall: "Please watch for your number",
		windows: "Windows",
		recent: "Recent calls",
		queue: "Waiting now",
		window: (n) => `Window ${n}`,
		callTo: (number, window) => `${number} → Window ${window}`,
		spoken: (number, window) => `Number ${number}, please go to window ${window}`,
		waiting: (n) => `${n} waiting`,
		estimate: (m) => `about ${m} min`,
		estimateSoon: "within a minute",
		notOpen: "Not open",
		machines: (n) => `${n} at the machines`,
		selfServiceDown: "Out of service",
		lanes: {
			self_service: "Self-service", express: "Express cash", counter: "Counter", vip: "VIP",
		},
		offline: "Offline: reconnecting… (calls may not be current)",
		enableSound: "Click to enable sound",
	},

	// ---- counter ----
	counter: {
		title: "Counter",
	},

	// ---- supervisor ----
	supervisor: {
		title: "Supervisor",
	},
};
