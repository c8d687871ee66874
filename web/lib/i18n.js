// Every string a page shows comes from one table per language
// (lang/zh.js, lang/en.js), Chinese first.  Markup names its strings with
// data-t="section.key" (text), data-t-label (aria-label) and
// data-t-placeholder; apply() fills them in the current language, and a
// page re-renders what it built itself on "languagechange".

import zh from "/lib/lang/zh.js";
import en from "/lib/lang/en.js";

const tables = { zh, en };
const htmlLang = { zh: "zh-CN", en: "en" };
let current = "zh";

function lookup(table, key) {
	let v = table;
	for (const part of key.split("."))
		v = v?.[part];
	return v;
}

// The string `key` in language `lang`, a function entry called with args.
export function tIn(lang, key, ...args) {
	const v = lookup(tables[lang], key) ?? lookup(tables.zh, key);
	if (typeof v === "function")
		return v(...args);
	return typeof v === "string" ? v : `⟦${key}⟧`;
}

// The string `key` in the page's current language.
export function t(key, ...args) {
	return tIn(current, key, ...args);
}

// "中文 · English", for screens that show both at once.
export function both(key, ...args) {
	return `${tIn("zh", key, ...args)} · ${tIn("en", key, ...args)}`;
}

export function language() {
	return current;
}

export function apply(root = document) {
	for (const el of root.querySelectorAll("[data-t]"))
		el.textContent = t(el.dataset.t);
	for (const el of root.querySelectorAll("[data-t-label]"))
		el.setAttribute("aria-label", t(el.dataset.tLabel));
	for (const el of root.querySelectorAll("[data-t-placeholder]"))
		el.placeholder = t(el.dataset.tPlaceholder);
}

export function setLanguage(lang) {
	if (!(lang in tables) || lang === current)
		return;
	current = lang;
	document.documentElement.lang = htmlLang[lang];
	apply();
	window.dispatchEvent(new Event("languagechange"));
}

// An element with its text from the table: el("p", "kiosk.hint").
export function el(tag, key, ...args) {
	const e = document.createElement(tag);
	if (key)
		e.textContent = t(key, ...args);
	return e;
}
