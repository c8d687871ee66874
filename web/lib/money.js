// Money in the browser is what it is in the daemon: a whole number of fen.
// The customer types yuan ("1500.5"); it is parsed as text, digit by digit,
// never through a floating-point number.  Amounts stay within 10^12 fen
// (PROTOCOL ticket.issue), far inside the integers a JS number holds exactly.

export const MAX_FEN = 1_000_000_000_000;

// "1500", "1500.5", "1500.50" → fen; null for anything else (empty,
// three decimals, a sign, an exponent, more than MAX_FEN, zero).
export function parseYuan(text) {
	const m = /^(\d{1,11})(?:\.(\d{0,2}))?$/.exec(text);
	if (m === null)
		return null;
	const cents = (m[2] ?? "").padEnd(2, "0");
	const fen = Number(m[1]) * 100 + Number(cents);
	if (!Number.isSafeInteger(fen) || fen < 1 || fen > MAX_FEN)
		return null;
	return fen;
}

// Whether `text` can still become an amount as the customer keeps typing:
// the keypad refuses a key that would make it impossible (a third decimal,
// a digit after a leading 0, more than MAX_FEN).
export function canExtend(text) {
	const m = /^(?:|(\d{1,11})(?:\.(\d{0,2}))?)$/.exec(text);
	if (m === null || /^0\d/.test(text))
		return false;
	if (m[1] === undefined)
		return true;
	return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0")) <= MAX_FEN;
}

// 150050 → "1,500.50" (grouping by threes, always two decimals).
export function formatFen(fen) {
	const negative = fen < 0;
	const abs = Math.abs(fen);
	const yuan = String(Math.trunc(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	const cents = String(abs % 100).padStart(2, "0");
	return `${negative ? "-" : ""}${yuan}.${cents}`;
}
