/*
 * End-to-end test harness: see harness.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "harness.h"

#define LISTEN_MARK	"listening on 127.0.0.1:"
#define SHOW_MAX	900	/* bytes of a request or reply shown in a failure (cmocka prints at most 1024 a call) */

static const struct {
	const char	*id, *role, *staff;
} h_terminals[] = {
	{ "K01", "kiosk", NULL },
	{ "D01", "display", NULL },
	{ "T01", "teller", "E1001" },
	{ "T02", "teller", "E1002" },
	{ "L01", "lobby", "E2001" },
	{ "S01", "supervisor", "E9001" },
};

static struct daemon	*h_daemons;
static struct conn	*h_conns;
static char		*h_last_req;	/* the last request sent, for failure messages */
static char		 h_last_conn[16];
static bool		 h_inited;
static bool		 h_port0_refused;	/* the daemon refused --listen 127.0.0.1:0 */
static char		 h_anyone_dir[64];	/* daemon_binary_for_anyone()'s directory */
static char		 h_anyone_bin[PATH_MAX];	/* and the copy in it */
static char		 h_pki_dir[64];		/* tls_pki_make()'s directory */

bool
harness_port0_refused(void)
{
	return h_port0_refused;
}

/* A free loopback port, for a daemon that cannot pick one itself. */
static int
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd, port = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* ---- failures ---- */

static _Noreturn void
h_failv(const char *file, int line, const cJSON *shown, const char *fmt, va_list ap)
{
	char	 msg[1024];
	char	*text = shown != NULL ? jprint(shown) : NULL;

	vsnprintf(msg, sizeof msg, fmt, ap);
	print_error("%s:%d: %s\n", file, line, msg);
	if (h_last_req != NULL)
		print_error("    last request (%s): %.*s\n", h_last_conn[0] ? h_last_conn : "?",
		    SHOW_MAX, h_last_req);
	if (text != NULL)
		print_error("    got: %.*s\n", SHOW_MAX, text);
	free(text);
	_fail(file, line);
	abort();	/* _fail does not return inside a test */
}

static _Noreturn void
h_fail(const char *file, int line, const cJSON *shown, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void
h_fail(const char *file, int line, const cJSON *shown, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	h_failv(file, line, shown, fmt, ap);
}

static void *
xmalloc(size_t n)
{
	void	*p = malloc(n);

	if (p == NULL) {
		perror("malloc");
		abort();
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	char	*p = xmalloc(strlen(s) + 1);

	memcpy(p, s, strlen(s) + 1);
	return p;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void	remove_anyone_copy(void);
static void	remove_pki_dir(void);
static int	tls_fill(struct conn *, int64_t deadline);
static void	tls_send(const char *, int, struct conn *, const void *, size_t);

static void
harness_atexit(void)
{
	struct daemon	*d;

	/* A test binary that dies leaves no daemon behind. */
	for (d = h_daemons; d != NULL; d = d->d_next)
		if (d->d_pid > 0)
			kill(d->d_pid, SIGKILL);
	remove_anyone_copy();
	remove_pki_dir();
}

static void
harness_init(void)
{
	if (h_inited)
		return;
	h_inited = true;
	signal(SIGPIPE, SIG_IGN);
	atexit(harness_atexit);
}

bool
under_wrapper(void)
{
	const char	*w = getenv("BRANCHQD_WRAPPER");

	return w != NULL && *w != '\0';
}

int
reply_timeout_ms(void)
{
	return under_wrapper() ? 30000 : 5000;
}

static int
start_timeout_ms(void)
{
	return under_wrapper() ? 60000 : 10000;
}

/* ---- the daemon ---- */

const char *
h_daemon_binary(const char *file, int line)
{
	static char	path[PATH_MAX];
	const char	*build = getenv("BUILD");
	char		 rel[PATH_MAX];

	if (path[0] != '\0')
		return path;
	/* The one place that names the daemon binary the tests run. */
	snprintf(rel, sizeof rel, "%s/branchqd-test", build != NULL && *build ? build : "build");
	if (realpath(rel, path) == NULL || access(path, X_OK) == -1) {
		path[0] = '\0';
		h_fail(file, line, NULL, "cannot find the daemon at %s (set BUILD): %s", rel,
		    strerror(errno));
	}
	return path;
}

static void
remove_anyone_copy(void)
{
	if (h_anyone_dir[0] == '\0')
		return;
	if (h_anyone_bin[0] != '\0')
		unlink(h_anyone_bin);
	rmdir(h_anyone_dir);
	h_anyone_dir[0] = '\0';
	h_anyone_bin[0] = '\0';
}

const char *
h_daemon_binary_for_anyone(const char *file, int line)
{
	const char	*src = h_daemon_binary(file, line), *base;
	char		 buf[65536];
	ssize_t		 n, w;
	int		 in, out, saved;

	harness_init();
	if (h_anyone_bin[0] != '\0')
		return h_anyone_bin;
	snprintf(h_anyone_dir, sizeof h_anyone_dir, "/tmp/bq-bin-XXXXXX");
	if (mkdtemp(h_anyone_dir) == NULL) {
		h_anyone_dir[0] = '\0';
		h_fail(file, line, NULL, "mkdtemp /tmp/bq-bin-XXXXXX: %s", strerror(errno));
	}
	/* Others may enter it and run what is in it, not list or change it. */
	if (chmod(h_anyone_dir, 0711) == -1) {
		saved = errno;
		remove_anyone_copy();
		h_fail(file, line, NULL, "chmod %s: %s", h_anyone_dir, strerror(saved));
	}
	base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
	snprintf(h_anyone_bin, sizeof h_anyone_bin, "%s/%s", h_anyone_dir, base);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		remove_anyone_copy();
		h_fail(file, line, NULL, "%s: %s", src, strerror(saved));
	}
	if ((out = open(h_anyone_bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700)) == -1) {
		saved = errno;
		close(in);
		remove_anyone_copy();
		h_fail(file, line, NULL, "%s: %s", h_anyone_bin, strerror(saved));
	}
	saved = 0;
	while (saved == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno != EINTR)
				saved = errno;
			continue;
		}
		for (w = 0; saved == 0 && w < n; ) {
			ssize_t	m = write(out, buf + w, (size_t)(n - w));

			if (m == -1 && errno != EINTR)
				saved = errno;
			else if (m > 0)
				w += m;
		}
	}
	/* 0755 whatever the umask; closed before any fork, so never "text file busy". */
	if (saved == 0 && fchmod(out, 0755) == -1)
		saved = errno;
	close(in);
	if (close(out) == -1 && saved == 0)
		saved = errno;
	if (saved != 0) {
		remove_anyone_copy();
		h_fail(file, line, NULL, "copying %s to /tmp: %s", src, strerror(saved));
	}
	return h_anyone_bin;
}

static void
hex(const unsigned char *h, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static void
token_hash(const char *token, char out[65])
{
	unsigned char	h[32];
	unsigned int	len = sizeof h;

	if (EVP_Digest(token, strlen(token), h, &len, EVP_sha256(), NULL) != 1 || len != 32)
		abort();
	hex(h, 32, out);
}

static void
write_config(const char *file, int line, struct daemon *d)
{
	FILE	*f;
	size_t	 i;
	char	 token[32], hash[65];

	if ((f = fopen(d->d_config, "w")) == NULL)
		h_fail(file, line, NULL, "cannot write %s: %s", d->d_config, strerror(errno));
	fprintf(f, "{\"branch\":\"E2E-001\",\"timezone\":\"Asia/Shanghai\",\n");
	if (d->d_extra_config != NULL && *d->d_extra_config != '\0')
		fprintf(f, "%s,\n", d->d_extra_config);
	fprintf(f, "\"terminals\":[\n");
	for (i = 0; i < sizeof h_terminals / sizeof h_terminals[0]; i++) {
		snprintf(token, sizeof token, "tok-%s", h_terminals[i].id);
		token_hash(token, hash);
		fprintf(f, "  {\"id\":\"%s\",\"role\":\"%s\",", h_terminals[i].id,
		    h_terminals[i].role);
		if (h_terminals[i].staff != NULL)
			fprintf(f, "\"staff\":\"%s\",", h_terminals[i].staff);
		if (strcmp(h_terminals[i].id, "K01") == 0 && d->d_kiosk_printer[0] != '\0')
			fprintf(f, "\"printer\":\"%s\",", d->d_kiosk_printer);
		fprintf(f, "\"token_sha256\":\"%s\"}%s\n", hash,
		    i + 1 < sizeof h_terminals / sizeof h_terminals[0] ? "," : "");
	}
	fprintf(f, "]}\n");
	if (fclose(f) != 0)
		h_fail(file, line, NULL, "cannot write %s", d->d_config);
}

static long
file_size(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* The log from offset on, NUL-terminated.  Caller frees. */
static char *
read_log(struct daemon *d, long offset)
{
	FILE	*f = fopen(d->d_log, "r");
	char	*buf;
	long	 size;
	size_t	 n;

	if (f == NULL)
		return xstrdup("");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	if (offset > size)
		offset = size;
	fseek(f, offset, SEEK_SET);
	buf = xmalloc((size_t)(size - offset) + 1);
	n = fread(buf, 1, (size_t)(size - offset), f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

void
daemon_print_log(struct daemon *d)
{
	char	*log = read_log(d, 0);
	size_t	 len = strlen(log);

	/* The end is what matters; valgrind can be talkative. */
	print_error("---- daemon log %s%s ----\n%s%s---- end of log ----\n", d->d_log,
	    len > 8000 ? " (last 8000 bytes)" : "", len > 8000 ? log + len - 8000 : log,
	    len > 0 && log[len - 1] != '\n' ? "\n" : "");
	free(log);
}

bool
daemon_log_contains(struct daemon *d, const char *s)
{
	char	*log = read_log(d, 0);
	bool	 found = strstr(log, s) != NULL;

	free(log);
	return found;
}

/* The HTTP listener the daemon named before it said it listens: " url=http://127.0.0.1:PORT/". */
static void
http_url(struct daemon *d, const char *log)
{
	const char	*mark, *host;
	size_t		 n;

	d->d_http_port = 0;
	d->d_http_url[0] = '\0';
	if ((mark = strstr(log, " url=http")) == NULL)
		return;
	mark += strlen(" url=");
	n = strcspn(mark, " \n\"");
	if (n >= sizeof d->d_http_url)
		return;
	memcpy(d->d_http_url, mark, n);
	d->d_http_url[n] = '\0';
	if ((host = strstr(d->d_http_url, "://")) != NULL &&
	    (host = strchr(host + 3, ':')) != NULL)
		d->d_http_port = atoi(host + 1);
}

static void
daemon_spawn(const char *file, int line, struct daemon *d)
{
	const char	*bin = h_daemon_binary(file, line);
	const char	*wrapper = getenv("BRANCHQD_WRAPPER");
	char		*wcopy = NULL, *tok, *save = NULL, *argv[64], *log, *mark, *end;
	char		 listen[32] = "127.0.0.1:0";
	int		 argc = 0, status, fd, i;
	long		 offset = file_size(d->d_log), port;
	int64_t		 deadline;
	pid_t		 pid;

	if (wrapper != NULL && *wrapper != '\0') {
		wcopy = xstrdup(wrapper);
		for (tok = strtok_r(wcopy, " ", &save); tok != NULL && argc < 40;
		    tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc++] = (char *)bin;
	argv[argc++] = (char *)"--db";
	argv[argc++] = d->d_db;
	argv[argc++] = (char *)"--listen";
	if (h_port0_refused && !d->d_no_port_fallback)
		snprintf(listen, sizeof listen, "127.0.0.1:%d", free_port());
	argv[argc++] = listen;
	if (!d->d_no_config) {
		argv[argc++] = (char *)"--config";
		argv[argc++] = d->d_config;
	}
	if (!d->d_no_test_clock) {
		argv[argc++] = (char *)"--test-clock";
		argv[argc++] = (char *)"--test-clock-start";
		argv[argc++] = d->d_clock_start;
	}
	if (d->d_wal_pages[0] != '\0') {
		argv[argc++] = (char *)"--wal-pages";
		argv[argc++] = d->d_wal_pages;
	}
	if (d->d_http[0] != '\0') {
		argv[argc++] = (char *)"--http";
		argv[argc++] = d->d_http;
	}
	if (d->d_tls_cert[0] != '\0') {
		argv[argc++] = (char *)"--tls-cert";
		argv[argc++] = d->d_tls_cert;
	}
	if (d->d_tls_key[0] != '\0') {
		argv[argc++] = (char *)"--tls-key";
		argv[argc++] = d->d_tls_key;
	}
	for (i = 0; d->d_extra_args[i] != NULL; i++)
		argv[argc++] = d->d_extra_args[i];
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		h_fail(file, line, NULL, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(d->d_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd == -1)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			close(fd);
		}
		/* No stray ./branchq.json: the demo configuration is what it says. */
		if (chdir(d->d_dir) == -1)
			_exit(126);
		for (i = 0; d->d_env[i] != NULL; i++)
			if (putenv(d->d_env[i]) != 0)
				_exit(126);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(wcopy);
	d->d_pid = pid;

	deadline = now_ms() + start_timeout_ms();
	for (;;) {
		log = read_log(d, offset);
		if ((mark = strstr(log, LISTEN_MARK)) != NULL) {
			port = strtol(mark + strlen(LISTEN_MARK), &end, 10);
			http_url(d, log);
			free(log);
			if (port <= 0 || port > 65535)
				break;
			d->d_port = (int)port;
			return;
		}
		free(log);
		if (waitpid(pid, &status, WNOHANG) == pid) {
			d->d_pid = 0;
			log = read_log(d, offset);
			mark = strstr(log, "--listen 127.0.0.1:0");
			free(log);
			if (mark != NULL && !h_port0_refused && !d->d_no_port_fallback) {
				h_port0_refused = true;
				print_error("MISMATCH: branchqd refuses --listen 127.0.0.1:0 "
				    "(decisions: \"Port 0 picks a free port\"); the harness now "
				    "picks free ports itself\n");
				daemon_spawn(file, line, d);
				return;
			}
			daemon_print_log(d);
			h_fail(file, line, NULL, "the daemon exited during start-up (status %d)",
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		if (now_ms() > deadline)
			break;
		sleep_ms(10);
	}
	daemon_print_log(d);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	d->d_pid = 0;
	h_fail(file, line, NULL, "the daemon did not say \"%s<port>\" within %d ms", LISTEN_MARK,
	    start_timeout_ms());
}

/* Runs a file of SQL into a new database file (daemon_opts.db_from_sql). */
static void
db_load_sql(const char *file, int line, const char *db_path, const char *sql_path)
{
	sqlite3	*db;
	FILE	*f;
	char	*sql, *emsg = NULL;
	long	 size;
	size_t	 n;

	if ((f = fopen(sql_path, "r")) == NULL)
		h_fail(file, line, NULL, "db_from_sql: cannot read %s: %s", sql_path,
		    strerror(errno));
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	sql = xmalloc((size_t)size + 1);
	n = fread(sql, 1, (size_t)size, f);
	sql[n] = '\0';
	fclose(f);
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK) {
		print_error("db_from_sql: %s into %s: %s\n", sql_path, db_path,
		    emsg != NULL ? emsg : sqlite3_errmsg(db));
		sqlite3_free(emsg);
		sqlite3_close(db);
		free(sql);
		h_fail(file, line, NULL, "db_from_sql: cannot load %s", sql_path);
	}
	free(sql);
	if (sqlite3_close(db) != SQLITE_OK)
		h_fail(file, line, NULL, "db_from_sql: closing %s failed", db_path);
}

struct daemon *
h_daemon_start(const char *file, int line, const struct daemon_opts *opts)
{
	struct daemon	*d;
	int		 i;

	harness_init();
	d = calloc(1, sizeof *d);
	if (d == NULL)
		abort();
	snprintf(d->d_dir, sizeof d->d_dir, "/tmp/bq-e2e-XXXXXX");
	if (mkdtemp(d->d_dir) == NULL) {
		free(d);
		h_fail(file, line, NULL, "mkdtemp: %s", strerror(errno));
	}
	snprintf(d->d_db, sizeof d->d_db, "%s/branchq.db", d->d_dir);
	snprintf(d->d_config, sizeof d->d_config, "%s/e2e-config.json", d->d_dir);
	snprintf(d->d_log, sizeof d->d_log, "%s/daemon.log", d->d_dir);
	snprintf(d->d_clock_start, sizeof d->d_clock_start, "%s",
	    opts != NULL && opts->clock_start != NULL ? opts->clock_start : H_CLOCK_START);
	/* A free loopback port, as for --listen: tests run side by side. */
	snprintf(d->d_http, sizeof d->d_http, "%s",
	    opts != NULL && opts->http != NULL ? opts->http : "127.0.0.1:0");
	if (opts != NULL) {
		d->d_no_config = opts->no_config;
		d->d_no_test_clock = opts->no_test_clock;
		d->d_no_port_fallback = opts->no_port_fallback;
		if (opts->extra_config != NULL)
			d->d_extra_config = xstrdup(opts->extra_config);
		if (opts->wal_pages != 0)
			snprintf(d->d_wal_pages, sizeof d->d_wal_pages, "%d", opts->wal_pages);
		if (opts->tls_cert != NULL)
			snprintf(d->d_tls_cert, sizeof d->d_tls_cert, "%s", opts->tls_cert);
		if (opts->tls_key != NULL)
			snprintf(d->d_tls_key, sizeof d->d_tls_key, "%s", opts->tls_key);
		if (opts->kiosk_printer != NULL)
			snprintf(d->d_kiosk_printer, sizeof d->d_kiosk_printer, "%s",
			    opts->kiosk_printer);
		for (i = 0; i < 8 && opts->extra_args[i] != NULL; i++)
			d->d_extra_args[i] = xstrdup(opts->extra_args[i]);
		for (i = 0; i < 4 && opts->env[i] != NULL; i++)
			d->d_env[i] = xstrdup(opts->env[i]);
	}
	d->d_next = h_daemons;
	h_daemons = d;
	if (opts != NULL && opts->db_from_sql != NULL)
		db_load_sql(file, line, d->d_db, opts->db_from_sql);
	if (!d->d_no_config)
		write_config(file, line, d);
	daemon_spawn(file, line, d);
	return d;
}

void
h_daemon_restart(const char *file, int line, struct daemon *d, const char *start)
{
	if (d->d_pid > 0)
		h_fail(file, line, NULL, "daemon_restart: the daemon is still running");
	if (start != NULL)
		snprintf(d->d_clock_start, sizeof d->d_clock_start, "%s", start);
	daemon_spawn(file, line, d);
}

void
h_daemon_stop(const char *file, int line, struct daemon *d)
{
	int64_t	deadline = now_ms() + (under_wrapper() ? 120000 : 10000);
	int	status;
	pid_t	pid = d->d_pid;

	if (pid <= 0)
		h_fail(file, line, NULL, "daemon_stop: the daemon is not running");
	if (kill(pid, SIGTERM) == -1)
		h_fail(file, line, NULL, "kill(SIGTERM): %s", strerror(errno));
	for (;;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			d->d_pid = 0;
			daemon_print_log(d);
			h_fail(file, line, NULL, "the daemon did not exit within %d s of SIGTERM",
			    under_wrapper() ? 120 : 10);
		}
		sleep_ms(5);
	}
	d->d_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		daemon_print_log(d);
		if (WIFEXITED(status))
			h_fail(file, line, NULL, "after SIGTERM the daemon exited with status %d, "
			    "not 0", WEXITSTATUS(status));
		h_fail(file, line, NULL, "after SIGTERM the daemon died of signal %d",
		    WTERMSIG(status));
	}
}

void
daemon_kill(struct daemon *d)
{
	int	status;

	if (d == NULL || d->d_pid <= 0)
		return;
	kill(d->d_pid, SIGKILL);
	waitpid(d->d_pid, &status, 0);
	d->d_pid = 0;
}

static void
remove_dir(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	char		 path[PATH_MAX];

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(dp);
	rmdir(dir);
}

void
daemon_free(struct daemon *d)
{
	struct daemon	**p;
	struct conn	 *c;
	int		  i;

	if (d == NULL)
		return;
	daemon_kill(d);
	for (p = &h_daemons; *p != NULL; p = &(*p)->d_next)
		if (*p == d) {
			*p = d->d_next;
			break;
		}
	for (c = h_conns; c != NULL; c = c->c_next)
		if (c->c_daemon == d)
			c->c_daemon = NULL;
	if (getenv("KEEP_E2E_DIRS") == NULL)
		remove_dir(d->d_dir);
	else
		fprintf(stderr, "kept %s\n", d->d_dir);
	free(d->d_extra_config);
	for (i = 0; d->d_extra_args[i] != NULL; i++)
		free(d->d_extra_args[i]);
	for (i = 0; d->d_env[i] != NULL; i++)
		free(d->d_env[i]);
	free(d);
}

char *
db_ticket_column(struct daemon *d, const char *date, const char *number, const char *column)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*value = NULL, sql[256];

	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	snprintf(sql, sizeof sql, "SELECT \"%s\" FROM tickets WHERE business_date = ?1 "
	    "AND number = ?2", column);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, number, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			value = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return value;
}

/* The first column of the first row of a query, as text (NULL: no row, or SQL NULL). */
char *
db_value(struct daemon *d, const char *fmt, ...)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*value = NULL, sql[2048];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("cannot prepare %s: %s", sql, sqlite3_errmsg(db));
	else {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			value = xstrdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return value;
}

/* SQL run into the database file of a stopped daemon; fails the test on an error. */
void
db_exec(struct daemon *d, const char *sql)
{
	sqlite3	*db;
	char	*msg = NULL;

	if (sqlite3_open_v2(d->d_db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s: %s", d->d_db, sql, msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
}

char *
db_ticket_status(struct daemon *d, const char *date, const char *number)
{
	return db_ticket_column(d, date, number, "status");
}

static void	http_free_all(void);	/* the HTTP helpers' (the end of this file) */

int
harness_teardown(void **state)
{
	(void)state;
	http_free_all();
	while (h_conns != NULL)
		conn_close(h_conns);
	while (h_daemons != NULL)
		daemon_free(h_daemons);
	remove_anyone_copy();
	remove_pki_dir();
	free(h_last_req);
	h_last_req = NULL;
	h_last_conn[0] = '\0';
	return 0;
}

/* ---- connections ---- */

struct conn *
h_conn_open(const char *file, int line, struct daemon *d)
{
	struct sockaddr_in	 sin;
	struct conn		*c;
	int			 fd, one = 1;

	harness_init();
	if (d == NULL || d->d_pid <= 0)
		h_fail(file, line, NULL, "conn_open: the daemon is not running");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		h_fail(file, line, NULL, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)d->d_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		h_fail(file, line, NULL, "connect 127.0.0.1:%d: %s", d->d_port, strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((c = calloc(1, sizeof *c)) == NULL)
		abort();
	c->c_fd = fd;
	c->c_daemon = d;
	snprintf(c->c_name, sizeof c->c_name, "-");
	c->c_next = h_conns;
	h_conns = c;
	return c;
}

void
conn_close(struct conn *c)
{
	struct conn	**p;
	size_t		  i;

	if (c == NULL)
		return;
	for (p = &h_conns; *p != NULL; p = &(*p)->c_next)
		if (*p == c) {
			*p = c->c_next;
			break;
		}
	if (c->c_ssl != NULL)
		SSL_free(c->c_ssl);
	if (c->c_fd >= 0)
		close(c->c_fd);
	for (i = 0; i < c->c_nevents; i++)
		cJSON_Delete(c->c_events[i]);
	free(c->c_events);
	free(c->c_buf);
	free(c);
}

static void
conn_send(const char *file, int line, struct conn *c, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	if (c->c_ssl != NULL) {
		tls_send(file, line, c, buf, len);
		return;
	}
	while (len > 0) {
		n = send(c->c_fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			h_fail(file, line, NULL, "send to the daemon: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

void
h_send_raw(const char *file, int line, struct conn *c, const void *buf, size_t len)
{
	conn_send(file, line, c, buf, len);
}

/* Reads what is there, waiting until the deadline: 1 data, 0 timeout, -1 closed. */
static int
conn_fill(struct conn *c, int64_t deadline)
{
	struct pollfd	pfd = { c->c_fd, POLLIN, 0 };
	int64_t		left;
	ssize_t		n;
	int		rc;

	if (c->c_eof)
		return -1;
	if (c->c_ssl != NULL)
		return tls_fill(c, deadline);
	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return 0;
		break;
	}
	if (c->c_cap - c->c_len < 65536) {
		c->c_cap = c->c_cap * 2 + 65536;
		if ((c->c_buf = realloc(c->c_buf, c->c_cap)) == NULL)
			abort();
	}
	n = recv(c->c_fd, c->c_buf + c->c_len, c->c_cap - c->c_len, 0);
	if (n <= 0) {
		c->c_eof = true;
		return -1;
	}
	c->c_len += (size_t)n;
	return 1;
}

/* One line out of the buffer, without its newline, or NULL.  Caller frees. */
static char *
take_line(struct conn *c)
{
	char	*nl, *line;
	size_t	 n;

	if (c->c_len == 0 || (nl = memchr(c->c_buf, '\n', c->c_len)) == NULL)
		return NULL;
	n = (size_t)(nl - c->c_buf);
	line = xmalloc(n + 1);
	memcpy(line, c->c_buf, n);
	line[n] = '\0';
	memmove(c->c_buf, nl + 1, c->c_len - n - 1);
	c->c_len -= n + 1;
	return line;
}

static char *
read_line(struct conn *c, int64_t deadline)
{
	char	*line;

	for (;;) {
		if ((line = take_line(c)) != NULL)
			return line;
		if (conn_fill(c, deadline) <= 0)
			return NULL;
	}
}

static bool
is_event(const cJSON *o)
{
	return cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, "event") != NULL;
}

static void
queue_event(struct conn *c, cJSON *ev)
{
	if (c->c_nevents == c->c_capevents) {
		c->c_capevents = c->c_capevents * 2 + 16;
		c->c_events = realloc(c->c_events, c->c_capevents * sizeof *c->c_events);
		if (c->c_events == NULL)
			abort();
	}
	c->c_events[c->c_nevents++] = ev;
}

/* A line that is not JSON is a protocol failure of the daemon. */
static cJSON *
parse_line(const char *file, int line, char *text)
{
	cJSON	*o = cJSON_Parse(text);

	if (o == NULL) {
		print_error("    line: %.*s\n", SHOW_MAX, text);
		free(text);
		h_fail(file, line, NULL, "the daemon sent a line that is not JSON");
	}
	free(text);
	return o;
}

static cJSON *
read_reply_at(const char *file, int line, struct conn *c, int timeout_ms)
{
	int64_t	 deadline = now_ms() + timeout_ms;
	char	*text;
	cJSON	*o;

	for (;;) {
		if ((text = read_line(c, deadline)) == NULL)
			return NULL;
		o = parse_line(file, line, text);
		if (!is_event(o))
			return o;
		queue_event(c, o);
	}
}

cJSON *
read_reply(struct conn *c, int timeout_ms)
{
	return read_reply_at(__FILE__, __LINE__, c, timeout_ms);
}

cJSON *
next_event(struct conn *c, int timeout_ms)
{
	int64_t	 deadline = now_ms() + timeout_ms;
	char	*text;
	cJSON	*o;

	if (c->c_nevents > 0) {
		o = c->c_events[0];
		memmove(c->c_events, c->c_events + 1, (c->c_nevents - 1) * sizeof *c->c_events);
		c->c_nevents--;
		return o;
	}
	if ((text = read_line(c, deadline)) == NULL)
		return NULL;
	o = parse_line(__FILE__, __LINE__, text);
	if (!is_event(o))
		h_fail(__FILE__, __LINE__, o, "a reply line arrived while waiting for an event "
		    "(a reply nobody asked for)");
	return o;
}

cJSON *
next_event_named(struct conn *c, const char *name, int timeout_ms)
{
	int64_t	 deadline = now_ms() + timeout_ms;
	cJSON	*ev;
	int64_t	 left;

	for (;;) {
		left = deadline - now_ms();
		if ((ev = next_event(c, left > 0 ? (int)left : 0)) == NULL)
			return NULL;
		if (strcmp(jstr(ev, "event") != NULL ? jstr(ev, "event") : "", name) == 0)
			return ev;
		cJSON_Delete(ev);
	}
}

void
drain_events(struct conn *c, int quiet_ms)
{
	cJSON	*ev;

	while ((ev = next_event(c, quiet_ms)) != NULL)
		cJSON_Delete(ev);
}

bool
peer_closed(struct conn *c, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;
	int	rc;

	for (;;) {
		rc = conn_fill(c, deadline);
		if (rc < 0)
			return true;
		if (rc == 0)
			return false;
		/* Data arrived: drop it, the question is whether the end follows. */
		c->c_len = 0;
	}
}

static void
set_last_request(const struct conn *c, const char *req)
{
	free(h_last_req);
	h_last_req = xstrdup(req);
	snprintf(h_last_conn, sizeof h_last_conn, "%s", c->c_name);
}

static cJSON *
rq_v(const char *file, int line, struct conn *c, const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*req;
	int	 n;
	cJSON	*reply;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	req = xmalloc((size_t)n + 2);
	vsnprintf(req, (size_t)n + 1, fmt, ap);
	set_last_request(c, req);
	req[n] = '\n';
	req[n + 1] = '\0';
	conn_send(file, line, c, req, (size_t)n + 1);
	free(req);
	reply = read_reply_at(file, line, c, reply_timeout_ms());
	if (reply == NULL) {
		if (c->c_daemon != NULL)
			daemon_print_log(c->c_daemon);
		h_fail(file, line, NULL, "no reply within %d ms%s", reply_timeout_ms(),
		    c->c_eof ? " (the daemon closed the connection)" : "");
	}
	return reply;
}

cJSON *
h_rq(const char *file, int line, struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	cJSON	*r;

	va_start(ap, fmt);
	r = rq_v(file, line, c, fmt, ap);
	va_end(ap);
	return r;
}

cJSON *
h_rq_ok(const char *file, int line, struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	cJSON	*r;

	va_start(ap, fmt);
	r = rq_v(file, line, c, fmt, ap);
	va_end(ap);
	h_expect_ok(file, line, r);
	return r;
}

void
h_rq_err(const char *file, int line, struct conn *c, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	cJSON	*r;

	va_start(ap, fmt);
	r = rq_v(file, line, c, fmt, ap);
	va_end(ap);
	h_expect_error(file, line, r, code);
	cJSON_Delete(r);
}

void
h_rq_bad(const char *file, int line, struct conn *c, const char *field, const char *fmt, ...)
{
	va_list	 ap;
	cJSON	*r;

	va_start(ap, fmt);
	r = rq_v(file, line, c, fmt, ap);
	va_end(ap);
	h_expect_bad_request(file, line, r, field);
	cJSON_Delete(r);
}

void
h_hello(const char *file, int line, struct conn *c, const char *terminal, const char *token)
{
	char	 tok[64];
	cJSON	*r;

	if (token == NULL) {
		snprintf(tok, sizeof tok, "tok-%s", terminal);
		token = tok;
	}
	r = h_rq(file, line, c, "{\"op\":\"hello\",\"terminal\":\"%s\",\"token\":\"%s\"}",
	    terminal, token);
	h_expect_ok(file, line, r);
	cJSON_Delete(r);
	snprintf(c->c_name, sizeof c->c_name, "%s", terminal);
}

struct conn *
h_login(const char *file, int line, struct daemon *d, const char *terminal)
{
	struct conn	*c = h_conn_open(file, line, d);

	h_hello(file, line, c, terminal, NULL);
	return c;
}

/* ---- JSON ---- */

const cJSON *
jget(const cJSON *o, const char *path)
{
	char		 seg[128];
	const char	*p = path, *dot;
	size_t		 n, i;
	bool		 digits;

	while (o != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof seg)
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		digits = n > 0;
		for (i = 0; i < n; i++)
			if (!isdigit((unsigned char)seg[i]))
				digits = false;
		if (cJSON_IsArray(o) && digits)
			o = cJSON_GetArrayItem(o, atoi(seg));
		else if (cJSON_IsObject(o))
			o = cJSON_GetObjectItemCaseSensitive(o, seg);
		else
			return NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return o;
}

const char *
jstr(const cJSON *o, const char *path)
{
	const cJSON	*item = jget(o, path);

	return cJSON_IsString(item) ? item->valuestring : NULL;
}

long long
jint(const cJSON *o, const char *path)
{
	const cJSON	*item = jget(o, path);

	return cJSON_IsNumber(item) ? (long long)item->valuedouble : -999999;
}

char *
jprint(const cJSON *o)
{
	char	*s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	return s != NULL ? s : xstrdup("(nothing)");
}

void
h_expect_ok(const char *file, int line, const cJSON *r)
{
	if (!cJSON_IsTrue(jget(r, "ok")))
		h_fail(file, line, r, "expected \"ok\":true");
}

void
h_expect_error(const char *file, int line, const cJSON *r, const char *code)
{
	const char	*got = jstr(r, "error.code"), *msg = jstr(r, "error.message");

	if (!cJSON_IsFalse(jget(r, "ok")))
		h_fail(file, line, r, "expected \"ok\":false with error %s", code);
	if (got == NULL || strcmp(got, code) != 0)
		h_fail(file, line, r, "expected error code %s, got %s", code,
		    got != NULL ? got : "(none)");
	if (msg == NULL || *msg == '\0')
		h_fail(file, line, r, "the error has no message");
}

/* Whether msg names field as a whole word ("flags" is not "flags.vip"). */
static bool
names_field(const char *msg, const char *field)
{
	const char	*p;
	size_t		 n = strlen(field);
	char		 before, after;

	for (p = strstr(msg, field); p != NULL; p = strstr(p + 1, field)) {
		before = p > msg ? p[-1] : ' ';
		after = p[n];
		if (!isalnum((unsigned char)before) && before != '_' && before != '.' &&
		    !isalnum((unsigned char)after) && after != '_' && after != '.')
			return true;
	}
	return false;
}

void
h_expect_bad_request(const char *file, int line, const cJSON *r, const char *field)
{
	const char	*msg;

	h_expect_error(file, line, r, "bad_request");
	msg = jstr(r, "error.message");
	if (field != NULL && !names_field(msg, field))
		h_fail(file, line, r, "the bad_request message does not name the field \"%s\"",
		    field);
}

void
h_expect_str(const char *file, int line, const cJSON *o, const char *path, const char *want)
{
	const char	*got = jstr(o, path);

	if (got == NULL || strcmp(got, want) != 0)
		h_fail(file, line, o, "expected %s = \"%s\"", path, want);
}

void
h_expect_int(const char *file, int line, const cJSON *o, const char *path, long long want)
{
	const cJSON	*item = jget(o, path);

	if (!cJSON_IsNumber(item) || item->valuedouble != (double)want)
		h_fail(file, line, o, "expected %s = %lld", path, want);
}

void
h_expect_bool(const char *file, int line, const cJSON *o, const char *path, bool want)
{
	const cJSON	*item = jget(o, path);

	if (!cJSON_IsBool(item) || cJSON_IsTrue(item) != want)
		h_fail(file, line, o, "expected %s = %s", path, want ? "true" : "false");
}

void
h_expect_null(const char *file, int line, const cJSON *o, const char *path)
{
	if (!cJSON_IsNull(jget(o, path)))
		h_fail(file, line, o, "expected %s = null", path);
}

void
h_expect_present(const char *file, int line, const cJSON *o, const char *path)
{
	if (jget(o, path) == NULL)
		h_fail(file, line, o, "expected %s to be present", path);
}

void
h_expect_that(const char *file, int line, bool cond, const cJSON *o, const char *fmt, ...)
{
	va_list	ap;

	if (cond)
		return;
	va_start(ap, fmt);
	h_failv(file, line, o, fmt, ap);
}

cJSON *
h_issue(const char *file, int line, struct conn *c, const char *service, long long amount_fen,
    const char *flags)
{
	char	 amount[48] = "", fl[512] = "";
	cJSON	*r, *t;

	if (amount_fen > 0)
		snprintf(amount, sizeof amount, ",\"amount_fen\":%lld", amount_fen);
	if (flags != NULL)
		snprintf(fl, sizeof fl, ",\"flags\":%s", flags);
	r = h_rq(file, line, c, "{\"op\":\"ticket.issue\",\"service\":\"%s\"%s%s}", service,
	    amount, fl);
	h_expect_ok(file, line, r);
	t = cJSON_DetachItemFromObjectCaseSensitive(r, "ticket");
	if (!cJSON_IsObject(t))
		h_fail(file, line, r, "ticket.issue: the reply has no ticket object");
	if (jstr(t, "number") == NULL)
		h_fail(file, line, t, "ticket.issue: the ticket has no number");
	cJSON_Delete(r);
	return t;
}

void
h_advance(const char *file, int line, struct conn *c, long long seconds)
{
	cJSON	*r = h_rq(file, line, c, "{\"op\":\"clock.advance\",\"seconds\":%lld}", seconds);

	h_expect_ok(file, line, r);
	cJSON_Delete(r);
}

cJSON *
h_ticket_status(const char *file, int line, struct conn *c, const char *number)
{
	cJSON	*r = h_rq(file, line, c, "{\"op\":\"ticket.status\",\"number\":\"%s\"}", number);
	cJSON	*t;

	h_expect_ok(file, line, r);
	t = cJSON_DetachItemFromObjectCaseSensitive(r, "ticket");
	if (!cJSON_IsObject(t))
		h_fail(file, line, r, "ticket.status: the reply has no ticket object");
	cJSON_Delete(r);
	return t;
}

/* ---- HTTP ---- */

/* memmem() and strcasestr() are glibc's under _GNU_SOURCE, which the build does not define. */
static const char *
find_bytes(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t	i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

/* Whether s contains part, in any case. */
static bool
has_nocase(const char *s, const char *part)
{
	size_t	n = strlen(part);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, part, n) == 0)
			return true;
	return n == 0;
}

/* A printf-style string.  Caller frees. */
static char *
vformat(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

const char	h_none[] = "(none)";

struct hkept {
	char		*k_text;
	struct hkept	*k_next;
};

static struct hresp	*h_resps;	/* every response not yet freed */
static struct hclient	*h_clients;
static struct hraw	*h_raws;
static struct sse	*h_sses;
static struct hkept	*h_kept;	/* hfmt()'s strings */

#define HTTP_HEAD_MAX	(256 * 1024)	/* a longer response head is the daemon's fault */
#define HTTP_SHOWN_BODY	600		/* bytes of a request's body kept for messages */

/* Text for a failure message: CRs dropped, so that a head reads line by line. */
static void
print_http_text(const char *label, const char *text, size_t len)
{
	char	*s = xmalloc(3 * len + 1);
	size_t	 i, n = 0;

	/* one header a line, indented under the label */
	for (i = 0; i < len; i++) {
		if (text[i] == '\r')
			continue;
		s[n++] = text[i] == '\0' ? '.' : text[i];
		if (text[i] == '\n' && i + 1 < len) {
			s[n++] = ' ';
			s[n++] = ' ';
		}
	}
	s[n] = '\0';
	print_error("    %s: %.*s%s\n", label, SHOW_MAX, s, n > SHOW_MAX ? " …" : "");
	free(s);
}

void
hresp_print(const struct hresp *r)
{
	if (r == NULL)
		return;
	if (r->hr_request != NULL)
		print_http_text("request", r->hr_request, strlen(r->hr_request));
	if (r->hr_head != NULL)
		print_http_text("response", r->hr_head, strlen(r->hr_head));
	if (r->hr_body != NULL && r->hr_body_len > 0) {
		print_error("    body (%zu bytes%s):\n", r->hr_body_len,
		    r->hr_chunked ? ", chunked" : r->hr_until_close ? ", until close" : "");
		print_http_text("", r->hr_body, r->hr_body_len);
	}
}

static _Noreturn void
h_hfailv(const char *file, int line, const struct hresp *r, const char *fmt, va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	print_error("%s:%d: %s\n", file, line, msg);
	if (r != NULL)
		hresp_print(r);
	else if (h_last_req != NULL)
		print_error("    last request (%s): %.*s\n", h_last_conn[0] ? h_last_conn : "?",
		    SHOW_MAX, h_last_req);
	_fail(file, line);
	abort();
}

static _Noreturn void
h_hfail(const char *file, int line, const struct hresp *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static _Noreturn void
h_hfail(const char *file, int line, const struct hresp *r, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	h_hfailv(file, line, r, fmt, ap);
}

const char *
hfmt(const char *fmt, ...)
{
	struct hkept	*k = xmalloc(sizeof *k);
	va_list		 ap, ap2;
	int		 n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	k->k_text = xmalloc((size_t)n + 1);
	vsnprintf(k->k_text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	k->k_next = h_kept;
	h_kept = k;
	return k->k_text;
}

/* ---- responses ---- */

void
hresp_free(struct hresp *r)
{
	struct hresp	**p;
	size_t		  i;

	if (r == NULL)
		return;
	for (p = &h_resps; *p != NULL; p = &(*p)->hr_next)
		if (*p == r) {
			*p = r->hr_next;
			break;
		}
	for (i = 0; i < r->hr_nheaders; i++) {
		free(r->hr_names[i]);
		free(r->hr_values[i]);
	}
	free(r->hr_names);
	free(r->hr_values);
	free(r->hr_head);
	free(r->hr_body);
	free(r->hr_request);
	cJSON_Delete(r->hr_json);
	free(r);
}

const char *
hresp_header_n(const struct hresp *r, const char *name, size_t n)
{
	size_t	i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->hr_nheaders; i++)
		if (strcasecmp(r->hr_names[i], name) == 0 && n-- == 0)
			return r->hr_values[i];
	return NULL;
}

const char *
hresp_header(const struct hresp *r, const char *name)
{
	return hresp_header_n(r, name, 0);
}

size_t
hresp_header_count(const struct hresp *r, const char *name)
{
	size_t	i, n = 0;

	for (i = 0; r != NULL && i < r->hr_nheaders; i++)
		if (strcasecmp(r->hr_names[i], name) == 0)
			n++;
	return n;
}

/* Whether a comma-separated header value holds the token (any case). */
static bool
has_token(const char *value, const char *token)
{
	const char	*p = value;
	size_t		 n = strlen(token), len;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		len = strcspn(p, ",");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(p, token, n) == 0)
			return true;
		p = strchr(p, ',');
	}
	return false;
}

/* ---- raw connections ---- */

struct hraw *
h_hraw_open(const char *file, int line, struct daemon *d, int rcvbuf)
{
	struct sockaddr_in	 sin;
	struct hraw		*h;
	int			 fd, one = 1;

	harness_init();
	if (d == NULL || d->d_pid <= 0)
		h_fail(file, line, NULL, "hraw_open: the daemon is not running");
	if (d->d_http_port <= 0)
		h_fail(file, line, NULL, "the daemon has no HTTP listener (no \" url=http…\" in "
		    "its start line; --http was \"%s\")", d->d_http);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		h_fail(file, line, NULL, "socket: %s", strerror(errno));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)d->d_http_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		h_fail(file, line, NULL, "connect 127.0.0.1:%d (HTTP): %s", d->d_http_port,
		    strerror(errno));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((h = calloc(1, sizeof *h)) == NULL)
		abort();
	h->hw_fd = fd;
	h->hw_daemon = d;
	h->hw_next = h_raws;
	h_raws = h;
	return h;
}

void
hraw_close(struct hraw *h)
{
	struct hraw	**p;

	if (h == NULL)
		return;
	for (p = &h_raws; *p != NULL; p = &(*p)->hw_next)
		if (*p == h) {
			*p = h->hw_next;
			break;
		}
	if (h->hw_fd >= 0)
		close(h->hw_fd);
	free(h->hw_buf);
	free(h->hw_sent);
	free(h);
}

#define HRAW_SENT_KEPT	2048

/* Keeps the start of what is sent, for the next response's failure messages. */
static void
hraw_note_sent(struct hraw *h, const char *p, size_t len)
{
	size_t	n;

	if (h->hw_sent == NULL && (h->hw_sent = calloc(1, HRAW_SENT_KEPT + 64)) == NULL)
		abort();
	if (h->hw_sent_len < HRAW_SENT_KEPT) {
		n = HRAW_SENT_KEPT - h->hw_sent_len < len ? HRAW_SENT_KEPT - h->hw_sent_len : len;
		memcpy(h->hw_sent + h->hw_sent_len, p, n);
		h->hw_sent[h->hw_sent_len + n] = '\0';
	}
	h->hw_sent_len += len;
	if (h->hw_sent_len > HRAW_SENT_KEPT)
		snprintf(h->hw_sent + HRAW_SENT_KEPT, 64, "… (%zu bytes sent)", h->hw_sent_len);
}

bool
hraw_send(struct hraw *h, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	hraw_note_sent(h, buf, len);
	while (len > 0) {
		n = send(h->hw_fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

bool
hraw_sendf(struct hraw *h, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	bool	 ok;

	va_start(ap, fmt);
	s = vformat(fmt, ap);
	va_end(ap);
	ok = hraw_send(h, s, strlen(s));
	free(s);
	return ok;
}

/* Reads what is there, waiting until the deadline: 1 data, 0 timeout, -1 closed or reset. */
static int
hraw_fill(struct hraw *h, int64_t deadline)
{
	struct pollfd	pfd = { h->hw_fd, POLLIN, 0 };
	int64_t		left;
	ssize_t		n;
	int		rc;

	if (h->hw_eof)
		return -1;
	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			return 0;
		break;
	}
	if (h->hw_cap - h->hw_len < 65536) {
		h->hw_cap = h->hw_cap * 2 + 65536;
		if ((h->hw_buf = realloc(h->hw_buf, h->hw_cap + 1)) == NULL)
			abort();
	}
	n = recv(h->hw_fd, h->hw_buf + h->hw_len, h->hw_cap - h->hw_len, 0);
	if (n == -1 && errno == EINTR)
		return 1;
	if (n <= 0) {
		h->hw_eof = true;
		return -1;
	}
	h->hw_len += (size_t)n;
	return 1;
}

bool
hraw_closed(struct hraw *h, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;
	int	rc;

	for (;;) {
		rc = hraw_fill(h, deadline);
		if (rc < 0)
			return true;
		if (rc == 0)
			return false;
	}
}

bool
hraw_readable(struct hraw *h, int timeout_ms)
{
	struct pollfd	pfd = { h->hw_fd, POLLIN, 0 };

	if (h->hw_len > 0)
		return true;
	return poll(&pfd, 1, timeout_ms) > 0;
}

static void
hraw_take(struct hraw *h, size_t n)
{
	memmove(h->hw_buf, h->hw_buf + n, h->hw_len - n);
	h->hw_len -= n;
}

/* The request as http_rq() writes it.  Caller frees; *shown: a copy for messages. */
static char *
http_request_text(struct daemon *d, const char *method, const char *path,
    const struct hopts *o, size_t *lenp, char **shown)
{
	char		*buf = NULL, host[128];
	size_t		 len = 0, blen = o->body != NULL ?
	    (o->body_len > 0 ? o->body_len : strlen(o->body)) : 0;
	FILE		*f = open_memstream(&buf, &len);
	const char	*cookie = NULL, *origin = NULL;
	bool		 unsafe = strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
	size_t		 head;

	if (f == NULL)
		abort();
	snprintf(host, sizeof host, "127.0.0.1:%d", d->d_http_port);
	if (o->host != NULL && o->host != H_NONE)
		snprintf(host, sizeof host, "%s", o->host);
	fprintf(f, "%s %s HTTP/1.1\r\n", method, path);
	if (o->host != H_NONE)
		fprintf(f, "Host: %s\r\n", host);
	if (o->auth != NULL)
		fprintf(f, "Authorization: %s\r\n", o->auth);
	else if (o->bearer != NULL)
		fprintf(f, "Authorization: Bearer %s:tok-%s\r\n", o->bearer, o->bearer);
	if (o->cookie != NULL)
		cookie = o->cookie != H_NONE ? o->cookie : NULL;
	else if (o->client != NULL && o->client->hc_cookie[0] != '\0')
		cookie = o->client->hc_cookie;
	if (cookie != NULL)
		fprintf(f, "Cookie: %s\r\n", cookie);
	if (o->origin != NULL)
		origin = o->origin != H_NONE ? o->origin : NULL;
	else if (o->client != NULL && unsafe)
		origin = hfmt("http://%s", host);	/* what a browser sends */
	if (origin != NULL)
		fprintf(f, "Origin: %s\r\n", origin);
	if (o->type != NULL && o->type != H_NONE)
		fprintf(f, "Content-Type: %s\r\n", o->type);
	else if (o->type == NULL && o->body != NULL)
		fprintf(f, "Content-Type: application/json\r\n");
	if (o->body != NULL || unsafe)
		fprintf(f, "Content-Length: %zu\r\n", blen);
	if (o->headers != NULL)
		fputs(o->headers, f);
	fputs("\r\n", f);
	fflush(f);
	head = len;
	if (blen > 0)
		fwrite(o->body, 1, blen, f);
	if (fclose(f) != 0)
		abort();
	*lenp = len;
	if (shown != NULL) {
		size_t	n = head + (blen > HTTP_SHOWN_BODY ? HTTP_SHOWN_BODY : blen);

		*shown = xmalloc(n + 64);
		memcpy(*shown, buf, n);
		(*shown)[n] = '\0';
		if (blen > HTTP_SHOWN_BODY)
			snprintf(*shown + n, 64, "… (%zu bytes of body)", blen);
	}
	return buf;
}

static void
set_last_http(const char *shown)
{
	free(h_last_req);
	h_last_req = xstrdup(shown);
	snprintf(h_last_conn, sizeof h_last_conn, "http");
}

void
h_hraw_request(const char *file, int line, struct hraw *h, const char *method, const char *path,
    const struct hopts *o)
{
	size_t	 len;
	char	*shown, *req = http_request_text(h->hw_daemon, method, path, o, &len, &shown);

	(void)file;
	(void)line;
	set_last_http(shown);
	free(shown);
	/* A daemon that answers before reading everything may close: the response tells. */
	(void)hraw_send(h, req, len);
	free(req);
}

/*
 * Parses the head in h's buffer (head_len bytes, through the blank line)
 * into r.  A malformed head fails the test.
 */
static void
parse_head(const char *file, int line, struct hresp *r, const char *buf, size_t head_len)
{
	char	*p, *eol, *colon, *name, *value;
	size_t	 cap = 0;

	r->hr_head = xmalloc(head_len + 1);
	memcpy(r->hr_head, buf, head_len);
	r->hr_head[head_len] = '\0';
	if (strncmp(r->hr_head, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)r->hr_head[7]) ||
	    r->hr_head[8] != ' ' || !isdigit((unsigned char)r->hr_head[9]) ||
	    !isdigit((unsigned char)r->hr_head[10]) || !isdigit((unsigned char)r->hr_head[11]) ||
	    (r->hr_head[12] != ' ' && r->hr_head[12] != '\r'))
		h_hfail(file, line, r, "the response does not start with a status line "
		    "\"HTTP/1.x NNN reason\"");
	r->hr_status = strtol(r->hr_head + 9, NULL, 10);
	p = strstr(r->hr_head, "\r\n") + 2;
	while (strncmp(p, "\r\n", 2) != 0) {
		if ((eol = strstr(p, "\r\n")) == NULL)
			h_hfail(file, line, r, "a header line does not end in CRLF");
		if ((colon = memchr(p, ':', (size_t)(eol - p))) == NULL || colon == p ||
		    strcspn(p, " \t") < (size_t)(colon - p))
			h_hfail(file, line, r, "a malformed header line: %.*s", (int)(eol - p), p);
		name = strndup(p, (size_t)(colon - p));
		value = colon + 1;
		while (value < eol && (*value == ' ' || *value == '\t'))
			value++;
		value = strndup(value, (size_t)(eol - value));
		while (*value != '\0' && (value[strlen(value) - 1] == ' ' ||
		    value[strlen(value) - 1] == '\t'))
			value[strlen(value) - 1] = '\0';
		if (r->hr_nheaders == cap) {
			cap = cap * 2 + 16;
			r->hr_names = realloc(r->hr_names, cap * sizeof *r->hr_names);
			r->hr_values = realloc(r->hr_values, cap * sizeof *r->hr_values);
			if (r->hr_names == NULL || r->hr_values == NULL)
				abort();
		}
		r->hr_names[r->hr_nheaders] = name;
		r->hr_values[r->hr_nheaders++] = value;
		p = eol + 2;
	}
}

/* A response (head parsed) joins the harness's list; its request is attached. */
static struct hresp *
new_resp(const char *request)
{
	struct hresp	*r = calloc(1, sizeof *r);

	if (r == NULL)
		abort();
	r->hr_request = xstrdup(request != NULL ? request : "(request not known)");
	r->hr_next = h_resps;
	h_resps = r;
	return r;
}

/* The length of the head in the buffer (through CRLFCRLF), or 0 when not all there. */
static size_t
head_length(const struct hraw *h)
{
	size_t	i;

	for (i = 0; i + 3 < h->hw_len; i++)
		if (memcmp(h->hw_buf + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return 0;
}

/*
 * Reads one response's head: the response, or NULL when nothing came
 * before the deadline or the end.  Bytes that are not a whole head fail
 * the test.
 */
static struct hresp *
read_head(const char *file, int line, struct hraw *h, const char *request, int64_t deadline)
{
	struct hresp	*r;
	size_t		 n;
	int		 rc;

	while ((n = head_length(h)) == 0) {
		if (h->hw_len > HTTP_HEAD_MAX) {
			r = new_resp(request);
			r->hr_head = strndup(h->hw_buf, 2000);
			h_hfail(file, line, r, "a response head longer than %d bytes",
			    HTTP_HEAD_MAX);
		}
		rc = hraw_fill(h, deadline);
		if (rc > 0)
			continue;
		if (h->hw_len == 0)
			return NULL;
		r = new_resp(request);
		r->hr_head = strndup(h->hw_buf, h->hw_len);
		if (h->hw_daemon != NULL)
			daemon_print_log(h->hw_daemon);
		h_hfail(file, line, r, "%s before the response head was complete (%zu bytes)",
		    rc < 0 ? "the connection ended" : "time ran out", h->hw_len);
	}
	r = new_resp(request);
	parse_head(file, line, r, h->hw_buf, n);
	hraw_take(h, n);
	return r;
}

/* Decodes a chunked body at the start of the buffer: its encoded length, or 0 when incomplete. */
static size_t
dechunk(const char *file, int line, struct hresp *r, const char *buf, size_t len,
    char **body, size_t *body_len)
{
	size_t		 pos = 0, size, out = 0;
	const char	*eol;
	char		*end, *b = NULL;

	for (;;) {
		if ((eol = find_bytes(buf + pos, len - pos, "\r\n", 2)) == NULL)
			goto incomplete;
		errno = 0;
		size = strtoul(buf + pos, &end, 16);
		if (end == buf + pos || errno != 0 || (end != eol && *end != ';'))
			h_hfail(file, line, r, "a malformed chunk size line: %.*s",
			    (int)(eol - (buf + pos)), buf + pos);
		pos = (size_t)(eol - buf) + 2;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			goto incomplete;
		if (memcmp(buf + pos + size, "\r\n", 2) != 0)
			h_hfail(file, line, r, "a chunk does not end in CRLF");
		if ((b = realloc(b, out + size + 1)) == NULL)
			abort();
		memcpy(b + out, buf + pos, size);
		out += size;
		pos += size + 2;
	}
	/* trailers, then the blank line */
	for (;;) {
		if ((eol = find_bytes(buf + pos, len - pos, "\r\n", 2)) == NULL)
			goto incomplete;
		if (eol == buf + pos) {
			pos += 2;
			break;
		}
		pos = (size_t)(eol - buf) + 2;
	}
	if ((b = realloc(b, out + 1)) == NULL)
		abort();
	b[out] = '\0';
	*body = b;
	*body_len = out;
	return pos;
incomplete:
	free(b);
	return 0;
}

/* Reads r's body, as its head frames it.  False when it is not all there before the deadline. */
static bool
read_body(const char *file, int line, struct hraw *h, struct hresp *r, const char *method,
    int64_t deadline)
{
	const char	*te = hresp_header(r, "Transfer-Encoding");
	const char	*cl = hresp_header(r, "Content-Length");
	size_t		 used, i;
	char		*end;
	long long	 n;
	int		 rc;

	if (strcmp(method, "HEAD") == 0 || r->hr_status / 100 == 1 || r->hr_status == 204 ||
	    r->hr_status == 304) {
		r->hr_body = xstrdup("");
		return true;
	}
	if (te != NULL) {
		if (!has_token(te, "chunked"))
			h_hfail(file, line, r, "a Transfer-Encoding other than chunked");
		r->hr_chunked = true;
		for (;;) {
			used = dechunk(file, line, r, h->hw_buf, h->hw_len, &r->hr_body,
			    &r->hr_body_len);
			if (used > 0) {
				hraw_take(h, used);
				return true;
			}
			if (hraw_fill(h, deadline) <= 0)
				return false;
		}
	}
	if (cl != NULL) {
		for (i = 1; i < hresp_header_count(r, "Content-Length"); i++)
			if (strcmp(hresp_header_n(r, "Content-Length", i), cl) != 0)
				h_hfail(file, line, r, "Content-Length headers that differ");
		errno = 0;
		n = strtoll(cl, &end, 10);
		if (*cl == '\0' || *end != '\0' || n < 0 || errno != 0)
			h_hfail(file, line, r, "a malformed Content-Length");
		while (h->hw_len < (size_t)n)
			if (hraw_fill(h, deadline) <= 0)
				return false;
		r->hr_body = xmalloc((size_t)n + 1);
		memcpy(r->hr_body, h->hw_buf, (size_t)n);
		r->hr_body[n] = '\0';
		r->hr_body_len = (size_t)n;
		hraw_take(h, (size_t)n);
		return true;
	}
	/* neither: the body is what comes until the connection ends */
	r->hr_until_close = true;
	while ((rc = hraw_fill(h, deadline)) > 0)
		;
	if (rc == 0)
		return false;
	r->hr_body = xmalloc(h->hw_len + 1);
	memcpy(r->hr_body, h->hw_buf, h->hw_len);
	r->hr_body[h->hw_len] = '\0';
	r->hr_body_len = h->hw_len;
	hraw_take(h, h->hw_len);
	return true;
}

static struct hresp *
read_response(const char *file, int line, struct hraw *h, const char *method,
    const char *request, int timeout_ms)
{
	int64_t		 deadline = now_ms() + timeout_ms;
	struct hresp	*r = read_head(file, line, h, request, deadline);

	if (r == NULL)
		return NULL;
	if (!read_body(file, line, h, r, method, deadline)) {
		if (h->hw_daemon != NULL)
			daemon_print_log(h->hw_daemon);
		h_hfail(file, line, r, "the response's body did not come whole within %d ms "
		    "(%zu bytes came%s)", timeout_ms, h->hw_len,
		    h->hw_eof ? "; the connection ended" : "");
	}
	if (r->hr_body_len > 0)
		r->hr_json = cJSON_ParseWithLength(r->hr_body, r->hr_body_len);
	return r;
}

struct hresp *
h_hraw_response(const char *file, int line, struct hraw *h, const char *method, int ms)
{
	struct hresp	*r = read_response(file, line, h, method,
	    h->hw_sent != NULL ? h->hw_sent : "(nothing sent)", ms);

	if (r != NULL && h->hw_sent != NULL) {
		h->hw_sent[0] = '\0';
		h->hw_sent_len = 0;
	}
	return r;
}

/* A client keeps the session cookie it is given, and forgets it when told. */
static void
keep_cookie(struct hclient *b, const struct hresp *r)
{
	const char	*v, *end;
	size_t		 i, n;

	for (i = 0; (v = hresp_header_n(r, "Set-Cookie", i)) != NULL; i++) {
		if (strncmp(v, "bq_session=", 11) != 0)
			continue;
		end = strchr(v, ';');
		n = end != NULL ? (size_t)(end - v) : strlen(v);
		if (n == 11 || has_nocase(v, "Max-Age=0"))
			b->hc_cookie[0] = '\0';
		else
			snprintf(b->hc_cookie, sizeof b->hc_cookie, "%.*s", (int)n, v);
	}
}

struct hresp *
h_http_rq(const char *file, int line, struct daemon *d, const char *method, const char *path,
    const struct hopts *o)
{
	struct hraw	*h;
	struct hresp	*r;
	size_t		 len;
	char		*req, *shown;

	if (d == NULL && o->client != NULL)
		d = o->client->hc_daemon;
	h = h_hraw_open(file, line, d, o->rcvbuf);
	req = http_request_text(d, method, path, o, &len, &shown);
	set_last_http(shown);
	(void)hraw_send(h, req, len);
	free(req);
	r = read_response(file, line, h, method, shown, reply_timeout_ms());
	if (r == NULL) {
		daemon_print_log(d);
		print_http_text("request", shown, strlen(shown));
		free(shown);
		hraw_close(h);
		h_fail(file, line, NULL, "no HTTP response within %d ms%s", reply_timeout_ms(),
		    h->hw_eof ? " (the daemon closed the connection)" : "");
	}
	free(shown);
	hraw_close(h);
	if (o->client != NULL)
		keep_cookie(o->client, r);
	return r;
}

struct hresp *
h_http_op(const char *file, int line, struct daemon *d, const char *who, struct hclient *b,
    const char *op, const char *fmt, ...)
{
	va_list		 ap;
	char		*body;
	struct hresp	*r;

	va_start(ap, fmt);
	body = vformat(fmt, ap);
	va_end(ap);
	r = h_http_rq(file, line, d, "POST", hfmt("/api/v1/op/%s", op),
	    &(const struct hopts){ .body = body, .bearer = who, .client = b });
	free(body);
	return r;
}

struct hclient *
h_hclient_new(const char *file, int line, struct daemon *d)
{
	struct hclient	*b = calloc(1, sizeof *b);

	(void)file;
	(void)line;
	if (b == NULL)
		abort();
	b->hc_daemon = d;
	snprintf(b->hc_name, sizeof b->hc_name, "-");
	b->hc_next = h_clients;
	h_clients = b;
	return b;
}

struct hclient *
h_http_login(const char *file, int line, struct daemon *d, const char *terminal)
{
	struct hclient	*b = h_hclient_new(file, line, d);
	struct hresp	*r;

	r = h_http_rq(file, line, d, "POST", "/api/v1/session", &(const struct hopts){
	    .client = b, .body = hfmt("{\"terminal\":\"%s\",\"token\":\"tok-%s\"}", terminal,
	    terminal) });
	h_expect_http_ok(file, line, r);
	if (b->hc_cookie[0] == '\0')
		h_hfail(file, line, r, "signed in, but no bq_session cookie was set");
	snprintf(b->hc_name, sizeof b->hc_name, "%s", terminal);
	hresp_free(r);
	return b;
}

/* ---- event streams ---- */

static void
sse_event_free(struct sse_event *e)
{
	if (e == NULL)
		return;
	free(e->se_id);
	free(e->se_name);
	free(e->se_data);
	cJSON_Delete(e->se_json);
	free(e);
}

static struct sse_event	*h_sse_done;	/* events handed out, freed at teardown */

void
sse_close(struct sse *s)
{
	struct sse	**p;
	struct sse_event *e;

	if (s == NULL)
		return;
	for (p = &h_sses; *p != NULL; p = &(*p)->ss_next)
		if (*p == s) {
			*p = s->ss_next;
			break;
		}
	hraw_close(s->ss_raw);
	while ((e = s->ss_queue) != NULL) {
		s->ss_queue = e->se_next;
		sse_event_free(e);
	}
	free(s->ss_text);
	free(s->ss_id);
	free(s->ss_name);
	free(s->ss_data);
	free(s);
}

static void
sse_append(struct sse *s, const char *p, size_t n)
{
	if (s->ss_cap - s->ss_len < n + 1) {
		s->ss_cap = (s->ss_cap + n) * 2 + 4096;
		if ((s->ss_text = realloc(s->ss_text, s->ss_cap)) == NULL)
			abort();
	}
	memcpy(s->ss_text + s->ss_len, p, n);
	s->ss_len += n;
	s->ss_bytes += n;
}

/* One line of the stream (without its end), by the rules of text/event-stream. */
static void
sse_line(struct sse *s, char *line)
{
	struct sse_event	*e, **tail;
	char			*value, **field = NULL;
	size_t			 n;

	if (*line == '\0') {
		if (s->ss_id != NULL)
			s->ss_last_id = strtoll(s->ss_id, NULL, 10);
		if (s->ss_data == NULL) {
			/* No data, no event: an id alone only sets the last id. */
			free(s->ss_id);
			free(s->ss_name);
			s->ss_id = s->ss_name = NULL;
			return;
		}
		if ((e = calloc(1, sizeof *e)) == NULL)
			abort();
		e->se_id = s->ss_id;
		e->se_name = s->ss_name;
		e->se_data = s->ss_data != NULL ? s->ss_data : xstrdup("");
		e->se_json = cJSON_Parse(e->se_data);
		s->ss_id = s->ss_name = s->ss_data = NULL;
		for (tail = &s->ss_queue; *tail != NULL; tail = &(*tail)->se_next)
			;
		*tail = e;
		return;
	}
	if (*line == ':') {
		s->ss_comments++;
		return;
	}
	if ((value = strchr(line, ':')) != NULL) {
		*value++ = '\0';
		if (*value == ' ')
			value++;
	} else
		value = line + strlen(line);
	if (strcmp(line, "id") == 0)
		field = &s->ss_id;
	else if (strcmp(line, "event") == 0)
		field = &s->ss_name;
	if (field != NULL) {
		free(*field);
		*field = xstrdup(value);
	} else if (strcmp(line, "data") == 0) {
		if (s->ss_data == NULL)
			s->ss_data = xstrdup(value);
		else {
			n = strlen(s->ss_data);
			s->ss_data = realloc(s->ss_data, n + strlen(value) + 2);
			if (s->ss_data == NULL)
				abort();
			s->ss_data[n] = '\n';
			strcpy(s->ss_data + n + 1, value);
		}
	}
}

/*
 * Moves what the connection read into the stream's text (undoing chunked
 * framing) and parses the whole lines.  False when the stream ended
 * (the last chunk).
 */
static bool
sse_pump(const char *file, int line, struct sse *s)
{
	struct hraw	*h = s->ss_raw;
	char		*eol, *end, *text;
	size_t		 n, size;
	bool		 more = true;

	if (!s->ss_chunked) {
		sse_append(s, h->hw_buf, h->hw_len);
		hraw_take(h, h->hw_len);
	} else {
		while (more && h->hw_len > 0) {
			switch (s->ss_chunk_state) {
			case 0:	/* the size line */
				if ((eol = (char *)find_bytes(h->hw_buf, h->hw_len, "\r\n", 2)) == NULL) {
					more = false;
					break;
				}
				size = strtoul(h->hw_buf, &end, 16);
				if (end == h->hw_buf || (end != eol && *end != ';'))
					h_hfail(file, line, s->ss_resp, "a malformed chunk size "
					    "line in the event stream: %.*s",
					    (int)(eol - h->hw_buf), h->hw_buf);
				hraw_take(h, (size_t)(eol - h->hw_buf) + 2);
				if (size == 0) {
					s->ss_chunk_state = 3;
					return false;
				}
				s->ss_chunk_left = size;
				s->ss_chunk_state = 1;
				break;
			case 1:	/* the chunk's data */
				n = h->hw_len < s->ss_chunk_left ? h->hw_len : s->ss_chunk_left;
				sse_append(s, h->hw_buf, n);
				hraw_take(h, n);
				if ((s->ss_chunk_left -= n) == 0)
					s->ss_chunk_state = 2;
				break;
			case 2:	/* the CRLF after it */
				if (h->hw_len < 2) {
					more = false;
					break;
				}
				if (memcmp(h->hw_buf, "\r\n", 2) != 0)
					h_hfail(file, line, s->ss_resp,
					    "a chunk of the event stream does not end in CRLF");
				hraw_take(h, 2);
				s->ss_chunk_state = 0;
				break;
			default:
				return false;
			}
		}
	}
	text = s->ss_text;
	while (s->ss_len > 0 && (eol = memchr(s->ss_text, '\n', s->ss_len)) != NULL) {
		n = (size_t)(eol - s->ss_text);
		text = strndup(s->ss_text, n);
		if (n > 0 && text[n - 1] == '\r')
			text[n - 1] = '\0';
		memmove(s->ss_text, eol + 1, s->ss_len - n - 1);
		s->ss_len -= n + 1;
		sse_line(s, text);
		free(text);
	}
	return s->ss_chunk_state != 3;
}

struct sse *
h_sse_open(const char *file, int line, struct daemon *d, const char *path, const struct hopts *o)
{
	struct sse	*s = calloc(1, sizeof *s);
	size_t		 len;
	char		*req, *shown;
	const char	*te;
	int64_t		 deadline = now_ms() + reply_timeout_ms();

	if (s == NULL)
		abort();
	s->ss_last_id = -1;
	if (d == NULL && o->client != NULL)
		d = o->client->hc_daemon;
	s->ss_raw = h_hraw_open(file, line, d, o->rcvbuf);
	s->ss_next = h_sses;
	h_sses = s;
	req = http_request_text(d, "GET", path, o, &len, &shown);
	set_last_http(shown);
	(void)hraw_send(s->ss_raw, req, len);
	free(req);
	s->ss_resp = read_head(file, line, s->ss_raw, shown, deadline);
	if (s->ss_resp == NULL) {
		daemon_print_log(d);
		print_http_text("request", shown, strlen(shown));
		free(shown);
		h_fail(file, line, NULL, "no response head to the event stream's GET within %d ms",
		    reply_timeout_ms());
	}
	free(shown);
	if (s->ss_resp->hr_status != 200) {
		if (!read_body(file, line, s->ss_raw, s->ss_resp, "GET", deadline))
			h_hfail(file, line, s->ss_resp, "the refusal's body did not come whole");
		if (s->ss_resp->hr_body_len > 0)
			s->ss_resp->hr_json = cJSON_ParseWithLength(s->ss_resp->hr_body,
			    s->ss_resp->hr_body_len);
		return s;
	}
	te = hresp_header(s->ss_resp, "Transfer-Encoding");
	s->ss_chunked = te != NULL && has_token(te, "chunked");
	s->ss_resp->hr_chunked = s->ss_chunked;
	s->ss_resp->hr_body = xstrdup("(the event stream)");
	(void)sse_pump(file, line, s);
	return s;
}

static struct sse_event *
sse_pop(struct sse *s)
{
	struct sse_event	*e = s->ss_queue;

	if (e == NULL)
		return NULL;
	s->ss_queue = e->se_next;
	e->se_next = h_sse_done;
	h_sse_done = e;
	return e;
}

struct sse_event *
sse_next(struct sse *s, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;

	for (;;) {
		if (s->ss_queue != NULL)
			return sse_pop(s);
		if (s->ss_chunk_state == 3 || hraw_fill(s->ss_raw, deadline) <= 0)
			return NULL;
		(void)sse_pump(__FILE__, __LINE__, s);
	}
}

bool
sse_wait_comment(struct sse *s, int timeout_ms)
{
	int64_t	deadline = now_ms() + timeout_ms;

	while (s->ss_comments == s->ss_comments_taken) {
		if (s->ss_chunk_state == 3 || hraw_fill(s->ss_raw, deadline) <= 0)
			return false;
		(void)sse_pump(__FILE__, __LINE__, s);
	}
	s->ss_comments_taken++;
	return true;
}

bool
sse_closed(struct sse *s, int timeout_ms)
{
	int64_t			 deadline = now_ms() + timeout_ms;
	struct sse_event	*e;
	int			 rc;

	for (;;) {
		while ((e = s->ss_queue) != NULL) {
			s->ss_queue = e->se_next;
			sse_event_free(e);
		}
		if (s->ss_chunk_state == 3)
			return true;
		rc = hraw_fill(s->ss_raw, deadline);
		if (rc < 0)
			return true;
		if (rc == 0)
			return false;
		(void)sse_pump(__FILE__, __LINE__, s);
	}
}

/* An event, shown in a failure message. */
static void
print_sse_event(const struct sse_event *e)
{
	if (e == NULL)
		return;
	print_error("    event: id=%s event=%s data=%.*s\n", e->se_id != NULL ? e->se_id : "(none)",
	    e->se_name != NULL ? e->se_name : "(none)", SHOW_MAX, e->se_data);
}

struct sse_event *
h_sse_expect(const char *file, int line, struct sse *s, const char *name)
{
	struct sse_event	*e;
	char			*end;
	long long		 id;

	if (s->ss_resp->hr_status != 200)
		h_hfail(file, line, s->ss_resp, "the event stream was refused; %s expected", name);
	e = sse_next(s, reply_timeout_ms());
	if (e == NULL)
		h_hfail(file, line, s->ss_resp, "no event within %d ms%s; %s expected",
		    reply_timeout_ms(), s->ss_raw->hw_eof ? " (the stream ended)" : "", name);
	if (e->se_name == NULL || strcmp(e->se_name, name) != 0) {
		print_sse_event(e);
		h_hfail(file, line, s->ss_resp, "expected event: %s", name);
	}
	if (!cJSON_IsObject(e->se_json) || jstr(e->se_json, "event") == NULL ||
	    strcmp(jstr(e->se_json, "event"), name) != 0) {
		print_sse_event(e);
		h_hfail(file, line, s->ss_resp, "the data is not a JSON object with \"event\":\"%s\"",
		    name);
	}
	if (e->se_id != NULL) {
		id = strtoll(e->se_id, &end, 10);
		if (*e->se_id == '\0' || *end != '\0' || id != jint(e->se_json, "seq")) {
			print_sse_event(e);
			h_hfail(file, line, s->ss_resp, "the event's id is not its data's seq");
		}
	}
	return e;
}

/* ---- HTTP checks ---- */

void
h_expect_http(const char *file, int line, bool cond, const struct hresp *r, const char *fmt, ...)
{
	va_list	ap;

	if (cond)
		return;
	va_start(ap, fmt);
	h_hfailv(file, line, r, fmt, ap);
}

void
h_expect_http_status(const char *file, int line, const struct hresp *r, long status)
{
	if (r == NULL)
		h_hfail(file, line, NULL, "no response; status %ld expected", status);
	if (r->hr_status != status)
		h_hfail(file, line, r, "expected status %ld, got %ld", status, r->hr_status);
}

static void
expect_json_type(const char *file, int line, const struct hresp *r)
{
	const char	*ct = hresp_header(r, "Content-Type");

	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';'))
		h_hfail(file, line, r, "expected Content-Type: application/json");
	if (!cJSON_IsObject(r->hr_json))
		h_hfail(file, line, r, "the body is not a JSON object");
}

void
h_expect_http_ok(const char *file, int line, const struct hresp *r)
{
	h_expect_http_status(file, line, r, 200);
	expect_json_type(file, line, r);
	if (!cJSON_IsTrue(jget(r->hr_json, "ok")))
		h_hfail(file, line, r, "expected \"ok\":true");
}

void
h_expect_http_error(const char *file, int line, const struct hresp *r, long status,
    const char *code)
{
	const cJSON	*err, *item;
	const char	*got;

	h_expect_http_status(file, line, r, status);
	expect_json_type(file, line, r);
	if (!cJSON_IsFalse(jget(r->hr_json, "ok")))
		h_hfail(file, line, r, "expected \"ok\":false with error %s", code);
	err = jget(r->hr_json, "error");
	if (!cJSON_IsObject(err))
		h_hfail(file, line, r, "expected an \"error\" object");
	got = jstr(err, "code");
	if (got == NULL || strcmp(got, code) != 0)
		h_hfail(file, line, r, "expected error code %s, got %s", code,
		    got != NULL ? got : "(none)");
	if (jstr(err, "message") == NULL || *jstr(err, "message") == '\0')
		h_hfail(file, line, r, "the error has no message");
	cJSON_ArrayForEach(item, err)
		if (strcmp(item->string, "code") != 0 && strcmp(item->string, "message") != 0 &&
		    !(strcmp(item->string, "detail") == 0 && cJSON_IsObject(item)))
			h_hfail(file, line, r, "the error has a member \"%s\" (the shape is "
			    "code, message and an optional detail object)", item->string);
	cJSON_ArrayForEach(item, r->hr_json)
		if (strcmp(item->string, "ok") != 0 && strcmp(item->string, "error") != 0)
			h_hfail(file, line, r, "an error reply has a member \"%s\" besides ok "
			    "and error", item->string);
}

void
h_expect_http_bad_request(const char *file, int line, const struct hresp *r, const char *field)
{
	h_expect_http_error(file, line, r, 400, "bad_request");
	if (field != NULL && !names_field(jstr(r->hr_json, "error.message"), field))
		h_hfail(file, line, r, "the bad_request message does not name the field \"%s\"",
		    field);
}

void
h_expect_header(const char *file, int line, const struct hresp *r, const char *name,
    const char *want, bool part)
{
	const char	*v = hresp_header(r, name);

	if (v == NULL)
		h_hfail(file, line, r, "expected a header %s", name);
	if (part ? !has_nocase(v, want) : strcmp(v, want) != 0)
		h_hfail(file, line, r, "expected %s: %s%s", name, part ? "… " : "", want);
}

void
h_expect_no_header(const char *file, int line, const struct hresp *r, const char *name)
{
	if (hresp_header(r, name) != NULL)
		h_hfail(file, line, r, "expected no header %s", name);
}

void
h_expect_security_headers(const char *file, int line, const struct hresp *r)
{
	const char	*csp = hresp_header(r, "Content-Security-Policy");
	const char	*nosniff = hresp_header(r, "X-Content-Type-Options");
	const char	*referrer = hresp_header(r, "Referrer-Policy");

	if (csp == NULL || strstr(csp, "default-src 'self'") == NULL ||
	    strstr(csp, "frame-ancestors 'none'") == NULL)
		h_hfail(file, line, r, "expected Content-Security-Policy with default-src 'self' "
		    "and frame-ancestors 'none'");
	if (nosniff == NULL || strcasecmp(nosniff, "nosniff") != 0)
		h_hfail(file, line, r, "expected X-Content-Type-Options: nosniff");
	if (referrer == NULL || strcasecmp(referrer, "no-referrer") != 0)
		h_hfail(file, line, r, "expected Referrer-Policy: no-referrer");
}

/* ---- the configuration, edited between runs ---- */

static char *
read_file(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf = NULL;
	size_t	 len = 0, n;
	char	 chunk[4096];

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if ((buf = realloc(buf, len + n + 1)) == NULL)
			abort();
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf == NULL)
		buf = xstrdup("");
	else
		buf[len] = '\0';
	return buf;
}

static void
write_file(const char *file, int line, const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		h_fail(file, line, NULL, "cannot write %s: %s", path, strerror(errno));
}

/* The line of the config naming the terminal: its start and length. */
static char *
terminal_line(const char *file, int line, struct daemon *d, char *text, const char *terminal,
    size_t *len)
{
	char	 mark[64], *p, *start;

	snprintf(mark, sizeof mark, "{\"id\":\"%s\",", terminal);
	if ((p = strstr(text, mark)) == NULL)
		h_fail(file, line, NULL, "terminal %s is not in %s", terminal, d->d_config);
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	*len = strcspn(start, "\n") + (start[strcspn(start, "\n")] == '\n');
	return start;
}

void
h_config_set_token(const char *file, int line, struct daemon *d, const char *terminal,
    const char *token)
{
	char	*text = read_file(d->d_config), *p, hash[65];
	size_t	 len;

	if (text == NULL)
		h_fail(file, line, NULL, "cannot read %s", d->d_config);
	p = terminal_line(file, line, d, text, terminal, &len);
	if ((p = strstr(p, "\"token_sha256\":\"")) == NULL)
		h_fail(file, line, NULL, "terminal %s has no token_sha256 in %s", terminal,
		    d->d_config);
	token_hash(token, hash);
	memcpy(p + strlen("\"token_sha256\":\""), hash, 64);
	write_file(file, line, d->d_config, text);
	free(text);
}

void
h_config_remove_terminal(const char *file, int line, struct daemon *d, const char *terminal)
{
	char	*text = read_file(d->d_config), *p;
	size_t	 len;

	if (text == NULL)
		h_fail(file, line, NULL, "cannot read %s", d->d_config);
	p = terminal_line(file, line, d, text, terminal, &len);
	memmove(p, p + len, strlen(p + len) + 1);
	/* the last terminal gone: the one before it loses its comma */
	if ((p = strstr(text, "},\n]")) != NULL)
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	write_file(file, line, d->d_config, text);
	free(text);
}

void
h_config_rewrite(const char *file, int line, struct daemon *d, const char *extra_config)
{
	free(d->d_extra_config);
	d->d_extra_config = extra_config != NULL ? xstrdup(extra_config) : NULL;
	write_config(file, line, d);
}

void
h_config_write_text(const char *file, int line, struct daemon *d, const char *text)
{
	write_file(file, line, d->d_config, text);
}

bool
h_daemon_reload(const char *file, int line, struct daemon *d)
{
	long	 offset = file_size(d->d_log);
	int64_t	 deadline = now_ms() + start_timeout_ms();
	char	*log;
	bool	 ok = false, done = false;

	if (d->d_pid <= 0 || kill(d->d_pid, SIGHUP) == -1)
		h_fail(file, line, NULL, "daemon_reload: the daemon does not run");
	while (!done && now_ms() < deadline) {
		log = read_log(d, offset);
		if (strstr(log, "event=reload ok") != NULL)
			ok = done = true;
		else if (strstr(log, "event=reload refused") != NULL)
			done = true;
		free(log);
		if (!done)
			sleep_ms(10);
	}
	if (!done) {
		daemon_print_log(d);
		h_fail(file, line, NULL, "daemon_reload: no \"event=reload\" line within %d ms",
		    start_timeout_ms());
	}
	return ok;
}

/* harness_teardown()'s part: everything of the HTTP helpers. */
static void
http_free_all(void)
{
	struct hclient		*b;
	struct hkept		*k;
	struct sse_event	*e;

	while (h_sses != NULL)
		sse_close(h_sses);
	while (h_raws != NULL)
		hraw_close(h_raws);
	while (h_resps != NULL)
		hresp_free(h_resps);
	while ((b = h_clients) != NULL) {
		h_clients = b->hc_next;
		free(b);
	}
	while ((e = h_sse_done) != NULL) {
		h_sse_done = e->se_next;
		sse_event_free(e);
	}
	while ((k = h_kept) != NULL) {
		h_kept = k->k_next;
		free(k->k_text);
		free(k);
	}
}

/* ---- TLS ---- */

static void
remove_pki_dir(void)
{
	if (h_pki_dir[0] == '\0')
		return;
	if (getenv("KEEP_E2E_DIRS") == NULL)
		remove_dir(h_pki_dir);
	else
		fprintf(stderr, "kept %s\n", h_pki_dir);
	h_pki_dir[0] = '\0';
}

/* Runs the openssl command line; its output goes to openssl.log in the directory. */
static void
pki_run(const char *file, int line, char *const argv[])
{
	char	 log[PATH_MAX], *text;
	FILE	*f;
	int	 fd, status;
	pid_t	 pid;

	snprintf(log, sizeof log, "%s/openssl.log", h_pki_dir);
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		h_fail(file, line, NULL, "fork: %s", strerror(errno));
	if (pid == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			close(fd);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			h_fail(file, line, NULL, "waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	text = NULL;
	if ((f = fopen(log, "r")) != NULL) {
		text = xmalloc(4096);
		text[fread(text, 1, 4095, f)] = '\0';
		fclose(f);
	}
	print_error("---- %s ----\n%s\n", log, text != NULL ? text : "(none)");
	free(text);
	h_fail(file, line, NULL, "openssl %s ... failed (status %d; is the openssl command "
	    "installed?)", argv[1], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void
h_tls_pki_make(const char *file, int line, struct tls_pki *pki, const char *name)
{
	char	 cnf[PATH_MAX], cakey[PATH_MAX], csr[PATH_MAX], subj[128], serial[32];
	FILE	*f;

	harness_init();
	if (h_pki_dir[0] == '\0') {
		snprintf(h_pki_dir, sizeof h_pki_dir, "/tmp/bq-pki-XXXXXX");
		if (mkdtemp(h_pki_dir) == NULL) {
			h_pki_dir[0] = '\0';
			h_fail(file, line, NULL, "mkdtemp /tmp/bq-pki-XXXXXX: %s", strerror(errno));
		}
	}
	snprintf(cnf, sizeof cnf, "%s/%s.cnf", h_pki_dir, name);
	snprintf(cakey, sizeof cakey, "%s/%s-ca.key", h_pki_dir, name);
	snprintf(csr, sizeof csr, "%s/%s.csr", h_pki_dir, name);
	snprintf(pki->tp_ca, sizeof pki->tp_ca, "%s/%s-ca.pem", h_pki_dir, name);
	snprintf(pki->tp_cert, sizeof pki->tp_cert, "%s/%s-cert.pem", h_pki_dir, name);
	snprintf(pki->tp_key, sizeof pki->tp_key, "%s/%s-key.pem", h_pki_dir, name);
	snprintf(subj, sizeof subj, "/CN=branchqd %s", name);
	/* Unique per certificate: a client must never take one for another. */
	snprintf(serial, sizeof serial, "%lld", (long long)now_ms() * 1000 + getpid() % 1000);

	/* Everything spelt out: nothing taken from the system's openssl.cnf. */
	if ((f = fopen(cnf, "w")) == NULL)
		h_fail(file, line, NULL, "cannot write %s: %s", cnf, strerror(errno));
	fprintf(f, "[req]\ndistinguished_name = dn\nprompt = no\n"
	    "[dn]\nCN = %s test CA\n"
	    "[ca_ext]\nbasicConstraints = critical,CA:TRUE\n"
	    "keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n"
	    "[srv_ext]\nbasicConstraints = critical,CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
	    "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
	    "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n", name);
	if (fclose(f) != 0)
		h_fail(file, line, NULL, "cannot write %s", cnf);
	{
		char *const ca[] = { "openssl", "req", "-x509", "-config", cnf, "-extensions",
		    "ca_ext", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		    "-keyout", cakey, "-out", pki->tp_ca, "-days", "2", NULL };
		char *const req[] = { "openssl", "req", "-new", "-config", cnf, "-subj", subj,
		    "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
		    pki->tp_key, "-out", csr, NULL };
		char *const sign[] = { "openssl", "x509", "-req", "-in", csr, "-CA", pki->tp_ca,
		    "-CAkey", cakey, "-set_serial", serial, "-days", "2", "-extfile", cnf,
		    "-extensions", "srv_ext", "-out", pki->tp_cert, NULL };

		pki_run(file, line, ca);
		pki_run(file, line, req);
		pki_run(file, line, sign);
	}
}

/* Waits for what OpenSSL wants of the socket: > 0 ready, 0 the deadline passed. */
static int
tls_wait(struct conn *c, int want, int64_t deadline)
{
	struct pollfd	pfd = { c->c_fd, want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, 0 };
	int64_t		left;
	int		rc;

	for (;;) {
		left = deadline - now_ms();
		if (left < 0)
			left = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1 && errno == EINTR)
			continue;
		return rc < 0 ? 0 : rc;
	}
}

/* OpenSSL's reasons, and the certificate check's when that failed. */
static void
tls_why(SSL *ssl, const char *what, char *why, size_t len)
{
	unsigned long	 e;
	const char	*reason;
	size_t		 used;
	long		 verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;

	used = (size_t)snprintf(why, len, "%s", what);
	while ((e = ERR_get_error()) != 0 && used < len)
		if ((reason = ERR_reason_error_string(e)) != NULL)
			used += (size_t)snprintf(why + used, len - used, ": %s", reason);
	if (verify != X509_V_OK && used < len)
		snprintf(why + used, len - used, " (certificate: %s)",
		    X509_verify_cert_error_string(verify));
}

/* conn_fill() for TLS: 1 data, 0 timeout, -1 closed (close_notify, a cut or an error). */
static int
tls_fill(struct conn *c, int64_t deadline)
{
	int	n, err;

	if (c->c_cap - c->c_len < 65536) {
		c->c_cap = c->c_cap * 2 + 65536;
		if ((c->c_buf = realloc(c->c_buf, c->c_cap)) == NULL)
			abort();
	}
	for (;;) {
		ERR_clear_error();
		n = SSL_read(c->c_ssl, c->c_buf + c->c_len, (int)(c->c_cap - c->c_len));
		if (n > 0) {
			c->c_len += (size_t)n;
			return 1;
		}
		err = SSL_get_error(c->c_ssl, n);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			c->c_eof = true;
			return -1;
		}
		if (tls_wait(c, err, deadline) == 0)
			return 0;
	}
}

static void
tls_send(const char *file, int line, struct conn *c, const void *buf, size_t len)
{
	int64_t	deadline = now_ms() + reply_timeout_ms();
	char	why[512];
	int	n, err;

	while (len > 0) {
		ERR_clear_error();
		n = SSL_write(c->c_ssl, buf, (int)len);
		if (n > 0) {
			buf = (const char *)buf + n;
			len -= (size_t)n;
			continue;
		}
		err = SSL_get_error(c->c_ssl, n);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			tls_why(NULL, "send to the daemon over TLS", why, sizeof why);
			h_fail(file, line, NULL, "%s", why);
		}
		if (tls_wait(c, err, deadline) == 0)
			h_fail(file, line, NULL, "send to the daemon over TLS: no progress in %d ms",
			    reply_timeout_ms());
	}
}

struct conn *
tls_conn_try(struct daemon *d, const char *cafile, const char *host, int max_version,
    char *why, size_t whylen)
{
	struct conn	*c = h_conn_open(__FILE__, __LINE__, d);
	unsigned char	 addr[16];
	int64_t		 deadline = now_ms() + reply_timeout_ms();
	SSL_CTX		*ctx;
	int		 rc, err;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		h_fail(__FILE__, __LINE__, NULL, "SSL_CTX_new failed");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
		SSL_CTX_free(ctx);
		h_fail(__FILE__, __LINE__, NULL, "cannot load the CA file %s", cafile);
	}
	if (max_version != 0) {
		/* An old client really offering the old versions: nothing forbids them here. */
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, max_version);
	}
	c->c_ssl = SSL_new(ctx);
	SSL_CTX_free(ctx);	/* the SSL holds its own reference */
	if (c->c_ssl == NULL)
		h_fail(__FILE__, __LINE__, NULL, "SSL_new failed");
	/* The name to check, as a client that connected to host would. */
	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->c_ssl), host);
	else {
		SSL_set1_host(c->c_ssl, host);
		SSL_set_tlsext_host_name(c->c_ssl, host);
	}
	fcntl(c->c_fd, F_SETFL, fcntl(c->c_fd, F_GETFL) | O_NONBLOCK);
	SSL_set_fd(c->c_ssl, c->c_fd);
	for (;;) {
		ERR_clear_error();
		if ((rc = SSL_connect(c->c_ssl)) == 1)
			return c;
		err = SSL_get_error(c->c_ssl, rc);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			tls_why(c->c_ssl, "TLS handshake failed", why, whylen);
			break;
		}
		if (tls_wait(c, err, deadline) == 0) {
			snprintf(why, whylen, "TLS handshake: no progress in %d ms",
			    reply_timeout_ms());
			break;
		}
	}
	conn_close(c);
	return NULL;
}

struct conn *
h_tls_conn_open(const char *file, int line, struct daemon *d, const char *cafile,
    const char *host)
{
	struct conn	*c;
	char		 why[512];

	if ((c = tls_conn_try(d, cafile, host, 0, why, sizeof why)) == NULL) {
		if (d != NULL)
			daemon_print_log(d);
		h_fail(file, line, NULL, "TLS to 127.0.0.1:%d as %s, trusting %s: %s",
		    d != NULL ? d->d_port : 0, host, cafile, why);
	}
	return c;
}
