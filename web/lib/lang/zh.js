// 中文 — every string the pages show, Chinese (the first language).
// Sections: common, signin, then one per page.  Keep en.js in step.

export default {
	common: {
		signOut: "退出登录",
		switchLanguage: "English",
		switchLanguageLabel: "切换到英文",
		offline: "离线：正在重新连接…",
		online: "已连接",
		wrongRole: (terminal, role) => `终端 ${terminal}（${role}）不能使用本页面。`,
		loading: "正在加载…",
		minutes: (n) => `${n} 分钟`,
		seconds: (n) => `${n} 秒`,
		none: "—",
		lanes: {
			self_service: "自助设备", express: "现金快速通道", counter: "柜台", vip: "贵宾",
		},
		services: {
			cash_withdrawal: "取款", cash_deposit: "存款", transfer: "转账",
			account_opening: "开户", card_services: "银行卡业务", loan: "贷款",
			wealth_management: "理财", foreign_exchange: "外汇", other: "其他业务",
		},
		rules: {
			cash_within_threshold: "2万元及以下的取款、存款可在自助设备办理",
			transfer_within_threshold: "5万元及以下的转账可在自助设备办理",
			loose_cash: "零钞需在柜台办理", counter_idle: "柜台现在空闲",
			vip: "贵宾客户", needs_assistance: "需要协助", accessibility: "无障碍服务",
			self_service_unavailable: "自助设备暂停服务", express_cash: "现金快速通道",
			over_threshold: "金额超过自助设备限额", not_divertible: "需在柜台办理的业务",
		},
		statuses: {
			diverted: "已分流", waiting: "等候中", called: "已叫号", serving: "办理中",
			done: "已完成", no_show: "过号", cancelled: "已取消", expired: "已过期",
		},
		accessibility: {
			wheelchair: "轮椅", sign_language: "手语", visual: "视力障碍", other: "其他",
		},
	},
	signin: {
		title: "登录本设备",
		terminal: "终端编号",
		token: "令牌",
		submit: "登录",
		failed: "终端编号或令牌不正确。",
		locked: (s) => `尝试次数过多，请在 ${s} 秒后再试。`,
		offline: "无法连接服务器。",
	},

	// ---- kiosk ----
	kiosk: {
		title: "取号机",
	},

	// ---- display ----
	display: {
		title: "叫号屏",
		welcome: "欢迎光临",
		nowCalling: "正在叫号",
		noCall: "请留意叫号",
		windows: "各窗口",
		recent: "最近叫号",
		queue: "等候情况",
		window: (n) => `${n} 号窗口`,
		callTo: (number, window) => `${number} → ${window} 号窗口`,
		spoken: (number, window) => `请 ${number} 号到 ${window} 号窗口`,
		waiting: (n) => `等候 ${n} 人`,
		estimate: (m) => `预计约 ${m} 分钟`,
		estimateSoon: "预计 1 分钟内",
		notOpen: "暂未开放",
		machines: (n) => `自助设备区 ${n} 人`,
		selfServiceDown: "暂停服务",
		lanes: {
			self_service: "自助设备", express: "现金快速通道", counter: "柜台", vip: "贵宾",
		},
		offline: "网络中断，正在重新连接…（叫号可能不是最新的）",
		enableSound: "点击开启声音",
	},

	// ---- counter ----
	counter: {
		title: "柜台",
	},

	// ---- supervisor ----
	supervisor: {
		title: "主管",
	},
};
