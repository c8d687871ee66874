// The daemon's HTTP API (docs/HTTP.md): one call per operation, the session
// cookie sent by the browser itself.  Every reply is the protocol's JSON;
// an error becomes an ApiError with its code, message and HTTP status.

export class ApiError extends Error {
	constructor(status, error) {
		super(error.message);
		this.status = status;
		this.code = error.code;
		this.detail = error.detail ?? null;
	}
}

async function send(method, path, body) {
	const init = { method, credentials: "same-origin", headers: {} };
	if (body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(body);
	}
	const response = await fetch(path, init);
	const reply = await response.json();
	if (!reply.ok)
		throw new ApiError(response.status, reply.error);
	return reply;
}

// POST /api/v1/op/NAME with the op's fields.
export function op(name, fields = {}) {
	return send("POST", `/api/v1/op/${encodeURIComponent(name)}`, fields);
}

// Who this browser is signed in as, or null.  ?optional=1 answers 200
// either way, so a device not yet signed in logs no failed request.
export async function whoami() {
	const reply = await send("GET", "/api/v1/session?optional=1");
	return reply.signed_in === false ? null : reply;
}

export function signIn(terminal, token) {
	return send("POST", "/api/v1/session", { terminal, token });
}

export function signOut() {
	return send("DELETE", "/api/v1/session");
}

// A request_key (PROTOCOL: 1–64 characters) for one attempt of ticket.issue,
// complaint.log or survey.submit; the same key is sent again when the
// reply never came, so a retry never makes a second ticket or complaint.
// getRandomValues, not randomUUID: a kiosk on plain http at a LAN address
// is not a secure context, and randomUUID exists only in those.
export function requestKey() {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return [...bytes].map((x) => x.toString(16).padStart(2, "0")).join("");
}
