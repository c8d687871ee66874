/*
 * End-to-end: what systemd hears (Type=notify, sd_notify(3); notify.c,
 * docs/OPERATIONS.md "systemd").  The test plays systemd's part: an AF_UNIX
 * datagram socket named by $NOTIFY_SOCKET, read for READY=1, WATCHDOG=1 and
 * STOPPING=1.
 *
 * READY=1 must mean "accepting connections": the first test starts the
 * daemon itself on ports it chose, without the harness (which waits for the
 * "listening on" log line, and so would hide a READY=1 sent too early), and
 * connects to both listeners the moment READY=1 arrives; then SIGHUP
 * (RELOADING=1, READY=1) and SIGTERM (STOPPING=1).  No timed
 * assertion: every wait is for a datagram, with a generous timeout.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* The test's own daemon (the first test), killed by the teardown if a check fails. */
static pid_t	own_pid;
static char	tmpdir[64];
static int	notify_fd = -1;

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
wait_ms(void)
{
	return under_wrapper() ? 120000 : 30000;
}

/* systemd's end: a datagram socket in a fresh directory; its path in sock. */
static void
notify_socket(char *sock, size_t len)
{
	struct sockaddr_un	sun;

	strcpy(tmpdir, "/tmp/bq-notify-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(sock, len, "%s/notify", tmpdir);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
	if ((notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(notify_fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		fail_msg("notify socket %s: %s", sock, strerror(errno));
}

/* The last STATUS= heard (what `systemctl status` shows), without "STATUS=". */
static char	last_status[512];

/*
 * The next datagram, NUL-terminated, in buf; a STATUS= one is kept in
 * last_status and skipped.  While waiting, a daemon of ours (pid > 0) that
 * exits fails the test with its status.
 */
static void
next_datagram(char *buf, size_t len, pid_t pid, const char *waiting_for)
{
	struct pollfd	pfd = { .fd = notify_fd, .events = POLLIN };
	int64_t		deadline = mono_ms() + wait_ms();
	ssize_t		n;
	int		status;

	for (;;) {
		if (poll(&pfd, 1, 100) == 1) {
			if ((n = recv(notify_fd, buf, len - 1, 0)) == -1)
				fail_msg("recv: %s", strerror(errno));
			buf[n] = '\0';
			if (strncmp(buf, "STATUS=", 7) == 0) {
				snprintf(last_status, sizeof last_status, "%s", buf + 7);
				continue;
			}
			return;
		}
		if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
			own_pid = 0;
			fail_msg("waiting for %s: the daemon exited (status %d)", waiting_for,
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		if (mono_ms() > deadline)
			fail_msg("no %s on $NOTIFY_SOCKET within %d s", waiting_for,
			    wait_ms() / 1000);
	}
}

static int
free_tcp_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fail_msg("a free port: %s", strerror(errno));
	close(fd);
	return ntohs(sin.sin_port);
}

/* 0 when 127.0.0.1:port accepts a TCP connection, else errno. */
static int
tcp_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd, e = 0;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		e = errno;
	close(fd);
	return e;
}

static void
spawn_own(const char *sock, int port, int http_port)
{
	const char	*wrapper = getenv("BRANCHQD_WRAPPER");
	const char	*bin = daemon_binary();
	char		*wcopy = NULL, *tok, *save = NULL, *argv[48], env[160];
	char		 db[128], listen[32], http[32], log[128];
	int		 argc = 0, fd;

	snprintf(db, sizeof db, "%s/branchq.db", tmpdir);
	snprintf(log, sizeof log, "%s/log", tmpdir);
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	snprintf(http, sizeof http, "127.0.0.1:%d", http_port);
	snprintf(env, sizeof env, "NOTIFY_SOCKET=%s", sock);
	if (wrapper != NULL && *wrapper != '\0') {
		wcopy = strdup(wrapper);
		for (tok = strtok_r(wcopy, " ", &save); tok != NULL && argc < 40;
		    tok = strtok_r(NULL, " ", &save))
			argv[argc++] = tok;
	}
	argv[argc++] = (char *)bin;
	argv[argc++] = (char *)"--db";
	argv[argc++] = db;
	argv[argc++] = (char *)"--listen";
	argv[argc++] = listen;
	argv[argc++] = (char *)"--http";
	argv[argc++] = http;
	argv[argc++] = (char *)"--test-clock";
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	if ((own_pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (own_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The demo configuration: no branchq.json in its directory. */
		if (chdir(tmpdir) == -1 || putenv(env) != 0 ||
		    (fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execvp(argv[0], argv);
		_exit(127);
	}
	free(wcopy);
}

static void
print_own_log(void)
{
	char	path[128], line[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/log", tmpdir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

static void
test_ready_only_when_both_listeners_accept(void **state)
{
	char	sock[128], buf[512];
	int	port, http_port, e_tcp, e_http, status;

	(void)state;
	notify_socket(sock, sizeof sock);
	port = free_tcp_port();
	http_port = free_tcp_port();
	spawn_own(sock, port, http_port);

	next_datagram(buf, sizeof buf, own_pid, "READY=1");
	/* At once, before anything else: both listeners accept. */
	e_tcp = tcp_connect(port);
	e_http = tcp_connect(http_port);
	if (strcmp(buf, "READY=1") != 0 || e_tcp != 0 || e_http != 0) {
		print_own_log();
		fail_msg("first datagram \"%s\" (want READY=1); at that moment the line "
		    "protocol port %d: %s, the HTTP port %d: %s", buf, port,
		    e_tcp == 0 ? "accepts" : strerror(e_tcp), http_port,
		    e_http == 0 ? "accepts" : strerror(e_http));
	}

	if (strstr(last_status, "serving branch DEMO-001: line protocol 127.0.0.1:") == NULL)
		fail_msg("STATUS before READY=1: \"%s\"", last_status);

	/* SIGHUP (systemctl reload): RELOADING=1, then READY=1 when done.  No
	 * $WATCHDOG_USEC: no pings in between. */
	if (kill(own_pid, SIGHUP) == -1)
		fail_msg("kill: %s", strerror(errno));
	next_datagram(buf, sizeof buf, own_pid, "RELOADING=1");
	if (strcmp(buf, "RELOADING=1") != 0)
		fail_msg("after SIGHUP: \"%s\", want RELOADING=1", buf);
	next_datagram(buf, sizeof buf, own_pid, "READY=1 after the reload");
	if (strcmp(buf, "READY=1") != 0)
		fail_msg("after SIGHUP and RELOADING=1: \"%s\", want READY=1", buf);

	/* The next thing heard is STOPPING=1. */
	if (kill(own_pid, SIGTERM) == -1)
		fail_msg("kill: %s", strerror(errno));
	next_datagram(buf, sizeof buf, 0, "STOPPING=1");
	if (strcmp(buf, "STOPPING=1") != 0) {
		print_own_log();
		fail_msg("after SIGTERM: \"%s\", want STOPPING=1", buf);
	}
	if (waitpid(own_pid, &status, 0) != own_pid)
		fail_msg("waitpid: %s", strerror(errno));
	own_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_own_log();
		fail_msg("after SIGTERM the daemon ended with status %d, not 0",
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
}

/* Through the harness: the watchdog pings, then STOPPING=1 on daemon_stop(). */
static void
test_watchdog_pings_and_stopping(void **state)
{
	const char	*env[5] = { NULL };
	char		 sock[128], envsock[160], buf[512];
	struct daemon	*d;
	struct daemon_opts o;
	int		 ready = 0, pings = 0;

	(void)state;
	notify_socket(sock, sizeof sock);
	snprintf(envsock, sizeof envsock, "NOTIFY_SOCKET=%s", sock);
	env[0] = envsock;
	/* 0.2 s: pings every 0.1 s.  No $WATCHDOG_PID (the harness forks):
	 * sd_watchdog_enabled(3) then takes the variable as the daemon's. */
	env[1] = "WATCHDOG_USEC=200000";
	memset(&o, 0, sizeof o);
	memcpy(o.env, env, sizeof o.env);
	d = daemon_start(&o);

	/* READY=1 once, and pings from the loop (one at start, then the timer's). */
	while (ready == 0 || pings < 3) {
		next_datagram(buf, sizeof buf, 0, ready == 0 ? "READY=1" : "WATCHDOG=1");
		if (strcmp(buf, "READY=1") == 0)
			ready++;
		else if (strcmp(buf, "WATCHDOG=1") == 0)
			pings++;
		else
			fail_msg("unexpected datagram \"%s\" while running", buf);
	}
	assert_int_equal(ready, 1);
	assert_true(daemon_log_contains(d, "event=watchdog interval_us=200000"));

	/* The loop still answers between pings. */
	conn_close(login(d, "T01"));

	/* A reload says how it went in STATUS=, for `systemctl status`. */
	expect_that(daemon_reload(d), NULL, "the reload was refused");
	for (;;) {
		next_datagram(buf, sizeof buf, 0, "READY=1 after the reload");
		if (strcmp(buf, "READY=1") == 0)
			break;
	}
	expect_that(strstr(last_status, "configuration reloaded: 6 terminals, 0 webhooks") !=
	    NULL, NULL, "STATUS after a reload: \"%s\"", last_status);
	config_write_text(d, "{\"terminals\":[]}");
	expect_that(!daemon_reload(d), NULL, "a file without terminals was taken");
	for (;;) {
		next_datagram(buf, sizeof buf, 0, "READY=1 after the refused reload");
		if (strcmp(buf, "READY=1") == 0)
			break;
	}
	expect_that(strstr(last_status, "reload refused: 1 problem in ") != NULL, NULL,
	    "STATUS after a refused reload: \"%s\"", last_status);

	daemon_stop(d);
	for (;;) {
		next_datagram(buf, sizeof buf, 0, "STOPPING=1");
		if (strcmp(buf, "STOPPING=1") == 0)
			break;
		if (strcmp(buf, "WATCHDOG=1") != 0)
			fail_msg("unexpected datagram \"%s\" before STOPPING=1", buf);
	}
}

static int
teardown(void **state)
{
	char	path[128];
	int	status;

	if (own_pid > 0) {
		kill(own_pid, SIGKILL);
		waitpid(own_pid, &status, 0);
		own_pid = 0;
	}
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
	if (tmpdir[0] != '\0' && getenv("KEEP_E2E_DIRS") == NULL) {
		snprintf(path, sizeof path, "rm -rf '%s'", tmpdir);
		if (system(path) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	tmpdir[0] = '\0';
	return harness_teardown(state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_ready_only_when_both_listeners_accept, teardown),
		cmocka_unit_test_teardown(test_watchdog_pings_and_stopping, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
