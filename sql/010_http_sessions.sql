-- PROTOCOL HTTP: a browser's sign-in, kept across restarts.  The cookie's
-- value is never stored, only its SHA-256, so a copy of the database signs
-- nobody in; the terminal's token hash at sign-in ends the session when the
-- token changes (docs/SECURITY.md).
CREATE TABLE http_sessions (
	id_sha256	BLOB PRIMARY KEY,		-- SHA-256 of the cookie's value
	terminal	TEXT NOT NULL,
	token_sha256	BLOB NOT NULL,			-- the terminal's, at sign-in
	created_at	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL
) STRICT;	-- the rowid orders sign-ins within one second
CREATE INDEX http_sessions_terminal ON http_sessions (terminal, created_at);
