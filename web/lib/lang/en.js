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
		welcome: "Welcome",
		chooseService: "Please choose your service",
		servicesLabel: "Services",
		closed: "This branch is not issuing tickets now",
		closedHint: "No window is open. Tickets can be taken again as soon as one opens.",
		offline: "Offline: reconnecting…",
		amountTitle: "Enter the amount (yuan)",
		amountLabel: "Amount (yuan)",
		amountExact: (yuan) => `Amount: ${yuan} yuan`,
		amountHint: "Use the keypad, exact to the fen (two decimals at most)",
		amountRange: "The amount must be between 0.01 and 10,000,000,000 yuan",
		keypadLabel: "Keypad",
		keyPoint: "Decimal point",
		keyDelete: "Delete",
		keyClear: "Clear",
		confirm: "Confirm amount",
		needsTitle: "Do you need any of these?",
		needsHint: "Optional: you can take your ticket straight away",
		looseCash: "I have loose notes or coins",
		needsAssistance: "I need help from staff",
		accessibilityTitle: "Barrier-free service (choose one, optional)",
		access: { wheelchair: "Wheelchair", sign_language: "Sign language", visual: "Visual impairment" },
		take: "Take ticket",
		taking: "Taking your ticket…",
		back: "Back",
		restart: "Start over",
		yourNumber: "Your number",
		lane: "Go to",
		ahead: "People ahead",
		aheadCount: (n) => `${n}`,
		wait: "Estimated wait",
		waitMinutes: (n) => `about ${n} min`,
		waitSoon: "You are next",
		pleaseWait: "Please watch the display and listen for your number",
		useMachines: "Please use the self-service machines",
		why: "Why:",
		lobbyHelps: "If a machine cannot serve you, the lobby manager will take you to the counter and keep your place in time.",
		printed: "Your ticket is printed",
		printing: "Printing your ticket",
		done: "Done",
		returning: (n) => `Back to the start in ${n} s`,
		issued: "Issued",
		branch: "Branch",
		refused: "A ticket cannot be issued now",
		unreachable: "Cannot reach the server: please press “Take ticket” again",
	},

	// ---- display ----
	display: {
		title: "Lobby display",
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
