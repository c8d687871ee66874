// CSV files made in the page from the report's JSON: UTF-8 with a byte
// order mark (so Excel reads Chinese), CRLF lines, fields quoted where
// needed, and text that a spreadsheet would take for a formula defused.
// The download is an <a download> with a Blob URL: nothing leaves the page.

function field(v) {
	if (v === null || v === undefined)
		return "";
	let s = String(v);
	if (typeof v === "string" && /^[=+\-@\t\r]/.test(s))
		s = `'${s}`;
	return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvText(rows) {
	return `\uFEFF${rows.map((r) => r.map(field).join(",")).join("\r\n")}\r\n`;
}

const made = new Map();	// link → its Blob URL, revoked when replaced

// An <a download> for `rows` as `filename`, labelled `label`.
export function csvLink(label, filename, rows) {
	const a = document.createElement("a");
	a.className = "button-link";
	a.download = filename;
	a.textContent = label;
	a.href = URL.createObjectURL(new Blob([csvText(rows)], { type: "text/csv;charset=utf-8" }));
	made.set(a, a.href);
	return a;
}

export function revokeAll() {
	for (const url of made.values())
		URL.revokeObjectURL(url);
	made.clear();
}
