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
		welcome: "欢迎光临",
		chooseService: "请选择您要办理的业务",
		servicesLabel: "业务",
		closed: "本网点现在暂停取号",
		closedHint: "没有开放的窗口。窗口开放后即可取号。",
		offline: "离线：正在重新连接…",
		amountTitle: "请输入金额（元）",
		amountLabel: "金额（元）",
		amountExact: (yuan) => `金额：${yuan} 元`,
		amountHint: "用数字键输入，精确到分（最多两位小数）",
		amountRange: "金额须在 0.01 元至 100 亿元之间",
		keypadLabel: "数字键盘",
		keyPoint: "小数点",
		keyDelete: "删除",
		keyClear: "清除",
		confirm: "确认金额",
		needsTitle: "您是否需要以下服务？",
		needsHint: "可不选，直接取号",
		looseCash: "我带有零钞或硬币",
		needsAssistance: "我需要工作人员协助",
		accessibilityTitle: "无障碍服务（可选一项）",
		access: { wheelchair: "轮椅", sign_language: "手语", visual: "视力障碍" },
		take: "取号",
		taking: "正在取号…",
		back: "返回",
		restart: "重新开始",
		yourNumber: "您的号码",
		lane: "办理区域",
		ahead: "前面还有",
		aheadCount: (n) => `${n} 人`,
		wait: "预计等候",
		waitMinutes: (n) => `约 ${n} 分钟`,
		waitSoon: "即将叫号",
		pleaseWait: "请留意叫号屏和广播",
		useMachines: "请到自助设备办理",
		why: "原因：",
		lobbyHelps: "如自助设备无法为您办理，请找大堂经理：大堂经理会带您到柜台办理，并保留您的取号时间。",
		printed: "小票已打印",
		printing: "正在打印小票",
		done: "完成",
		returning: (n) => `${n} 秒后回到首页`,
		issued: "取号时间",
		branch: "网点",
		refused: "暂时无法取号",
		unreachable: "无法连接服务器，请再按一次“取号”",
	},

	// ---- display ----
	display: {
		title: "叫号屏",
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
