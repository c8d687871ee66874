/*
 * The head-office side of the e2e tests (pg.h): a real PostgreSQL cluster
 * run by tests/pg/cluster.sh, queries on it through libpq, and a TCP proxy
 * that can cut the network between the daemons and the server.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"

static struct pg	*pg_all;	/* every cluster not yet stopped */
static struct pg_proxy	*proxy_all;	/* every proxy not yet stopped */
static bool		 pg_atexit_set;

static _Noreturn void
pg_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static _Noreturn void
pg_fail(const char *file, int line, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print_error("%s:%d: %s\n", file, line, msg);
	_fail(file, line);
	abort();
}

static void
pg_atexit(void)
{
	pg_teardown();
}

/* tests/pg/cluster.sh, found beside this file (tests/e2e/pg.c). */
static const char *
cluster_script(void)
{
	static char	 path[PATH_MAX];
	const char	*env = getenv("PG_CLUSTER_SH"), *slash;
	char		 rel[PATH_MAX];
	size_t		 n;

	if (env != NULL && *env != '\0')
		return env;
	if (path[0] != '\0')
		return path;
	/* __FILE__ is "tests/e2e/pg.c" (or absolute): up one, then pg/. */
	snprintf(rel, sizeof rel, "%s", __FILE__);
	if ((slash = strrchr(rel, '/')) == NULL) {
		snprintf(rel, sizeof rel, "../pg/cluster.sh");
	} else {
		n = (size_t)(slash - rel);
		rel[n] = '\0';
		snprintf(rel + n, sizeof rel - n, "/../pg/cluster.sh");
	}
	if (realpath(rel, path) == NULL)
		snprintf(path, sizeof path, "%s", rel);
	return path;
}

/*
 * Runs argv (argv[0] looked up in PATH) with stdin from /dev/null and
 * returns its exit status (128+N for a signal, -1 if it could not run);
 * stdout and stderr in *out when out is not NULL.
 */
static int
run_argv(char **out, char *const argv[], const char *watch_env)
{
	char	*buf = NULL, chunk[4096];
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fds[2], status, fd;
	pid_t	 pid;

	if (pipe(fds) == -1)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, 0);
			close(fd);
		}
		if (watch_env != NULL)
			setenv("PG_CLUSTER_WATCH", watch_env, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + (size_t)n + 1 > cap) {
			cap = (len + (size_t)n + 1) * 2;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (buf == NULL && (buf = calloc(1, 1)) == NULL)
		abort();
	buf[len] = '\0';
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int
cluster(struct pg *p, const char *verb, const char *arg, char **out)
{
	char	*argv[6];
	char	 watch[32];
	int	 i = 0;

	argv[i++] = (char *)"sh";
	argv[i++] = (char *)cluster_script();
	argv[i++] = (char *)verb;
	argv[i++] = p->pg_dir;
	if (arg != NULL)
		argv[i++] = (char *)arg;
	argv[i] = NULL;
	snprintf(watch, sizeof watch, "%ld", (long)getpid());
	return run_argv(out, argv, watch);
}

static const char *
build_dir(void)
{
	const char	*b = getenv("BUILD");

	return b != NULL && *b != '\0' ? b : "build";
}

int
pg_run_branchq(char **out, const char *arg, ...)
{
	char		*argv[32], bin[PATH_MAX];
	const char	*a;
	va_list		 ap;
	int		 i = 0;

	snprintf(bin, sizeof bin, "%s/branchq", build_dir());
	argv[i++] = bin;
	va_start(ap, arg);
	for (a = arg; a != NULL && i < 31; a = va_arg(ap, const char *))
		argv[i++] = (char *)a;
	va_end(ap);
	argv[i] = NULL;
	return run_argv(out, argv, NULL);
}

const char *
pg_conninfo_socket(const struct pg *p)
{
	return hfmt("host=%s port=%d dbname=%s user=postgres", p->pg_dir, p->pg_port, PG_DB);
}

const char *
pg_conninfo_tls(const struct pg *p, int port, const char *ca)
{
	return hfmt("host=localhost hostaddr=127.0.0.1 port=%d dbname=%s user=postgres "
	    "sslmode=verify-full sslrootcert=%s", port > 0 ? port : p->pg_port, PG_DB,
	    ca != NULL ? ca : p->pg_ca);
}

/* The test's own connection, made (again) when there is none that works. */
static PGconn *
pg_connection(const char *file, int line, struct pg *p)
{
	char	conninfo[256];

	if (p->pg_conn != NULL && PQstatus(p->pg_conn) == CONNECTION_OK)
		return p->pg_conn;
	if (p->pg_conn != NULL)
		PQfinish(p->pg_conn);
	snprintf(conninfo, sizeof conninfo, "host=%s port=%d dbname=%s user=postgres",
	    p->pg_dir, p->pg_port, PG_DB);
	p->pg_conn = PQconnectdb(conninfo);
	if (PQstatus(p->pg_conn) != CONNECTION_OK) {
		char msg[512];

		snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->pg_conn));
		PQfinish(p->pg_conn);
		p->pg_conn = NULL;
		pg_fail(file, line, "cannot connect to the test's PostgreSQL (%s): %s",
		    conninfo, msg);
	}
	return p->pg_conn;
}

/* The cluster's database, made with the superuser on the socket. */
static void
make_database(const char *file, int line, struct pg *p)
{
	char		 conninfo[256];
	PGconn		*c;
	PGresult	*r;

	snprintf(conninfo, sizeof conninfo, "host=%s port=%d dbname=postgres user=postgres",
	    p->pg_dir, p->pg_port);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		print_error("%s", PQerrorMessage(c));
		PQfinish(c);
		pg_fail(file, line, "cannot connect to the new cluster (%s)", conninfo);
	}
	r = PQexec(c, "CREATE DATABASE " PG_DB);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		print_error("%s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		pg_fail(file, line, "CREATE DATABASE " PG_DB " failed");
	}
	PQclear(r);
	PQfinish(c);
}

/* HQ_MIGRATE_SQL_DIR: its *.sql run in order by psql, instead of branchq. */
static void
migrate_psql(const char *file, int line, const char *conninfo, const char *dir)
{
	char	*out = NULL, pattern[PATH_MAX];
	char	*argv[] = { (char *)"psql", (char *)"-q", (char *)"-v", (char *)"ON_ERROR_STOP=1",
		    (char *)"-d", (char *)conninfo, (char *)"-f", NULL, NULL };
	glob_t	 g;
	size_t	 i;
	int	 rc;

	snprintf(pattern, sizeof pattern, "%s/*.sql", dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		pg_fail(file, line, "HQ_MIGRATE_SQL_DIR: no %s", pattern);
	for (i = 0; i < g.gl_pathc; i++) {
		argv[7] = g.gl_pathv[i];
		if ((rc = run_argv(&out, argv, NULL)) != 0) {
			print_error("psql -f %s: %d\n%s", g.gl_pathv[i], rc, out);
			free(out);
			globfree(&g);
			pg_fail(file, line, "the head-office schema could not be applied");
		}
		free(out);
	}
	globfree(&g);
}

/* The head-office schema, by the real `branchq hq migrate`. */
static void
migrate(const char *file, int line, struct pg *p)
{
	char		*out = NULL, conninfo[256];
	const char	*dir;
	int		 rc;

	snprintf(conninfo, sizeof conninfo, "host=%s port=%d dbname=%s user=postgres",
	    p->pg_dir, p->pg_port, PG_DB);
	if ((dir = getenv("HQ_MIGRATE_SQL_DIR")) != NULL && *dir != '\0') {
		migrate_psql(file, line, conninfo, dir);
		return;
	}
	rc = pg_run_branchq(&out, "hq", "migrate", "--conninfo", conninfo, (const char *)NULL);
	if (rc != 0) {
		print_error("branchq hq migrate --conninfo '%s' exited with %d:\n%s", conninfo,
		    rc, out != NULL ? out : "");
		free(out);
		pg_fail(file, line, "the head-office schema could not be applied");
	}
	free(out);
}

struct pg *
h_pg_start(const char *file, int line, int max_connections)
{
	struct pg	*p;
	char		*out = NULL, maxconn[16];
	int		 rc;

	if (!pg_atexit_set) {
		atexit(pg_atexit);
		pg_atexit_set = true;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		abort();
	snprintf(p->pg_dir, sizeof p->pg_dir, "/tmp/bq-pg-XXXXXX");
	if (mkdtemp(p->pg_dir) == NULL) {
		free(p);
		pg_fail(file, line, "mkdtemp: %s", strerror(errno));
	}
	snprintf(p->pg_ca, sizeof p->pg_ca, "%s/ca.pem", p->pg_dir);
	p->pg_next = pg_all;
	pg_all = p;
	snprintf(maxconn, sizeof maxconn, "%d", max_connections > 0 ? max_connections : 100);
	rc = cluster(p, "start", maxconn, &out);
	if (rc != 0 || (p->pg_port = atoi(out)) <= 0) {
		print_error("%s start %s %s exited with %d:\n%s", cluster_script(), p->pg_dir,
		    maxconn, rc, out != NULL ? out : "");
		free(out);
		pg_fail(file, line, "the PostgreSQL cluster did not start");
	}
	free(out);
	p->pg_running = true;
	make_database(file, line, p);
	migrate(file, line, p);
	return p;
}

void
h_pg_ctl(const char *file, int line, struct pg *p, const char *verb)
{
	char	*out = NULL;
	int	 rc;

	if (p->pg_conn != NULL) {
		PQfinish(p->pg_conn);
		p->pg_conn = NULL;
	}
	rc = cluster(p, verb, NULL, &out);
	if (rc != 0) {
		print_error("%s %s %s exited with %d:\n%s", cluster_script(), verb, p->pg_dir, rc,
		    out != NULL ? out : "");
		free(out);
		pg_fail(file, line, "cluster.sh %s failed", verb);
	}
	if (strcmp(verb, "start") == 0 && atoi(out) != p->pg_port) {
		print_error("cluster.sh start: %s", out);
		free(out);
		pg_fail(file, line, "PostgreSQL came back on another port than %d", p->pg_port);
	}
	free(out);
	p->pg_running = strcmp(verb, "start") == 0;
}

void
pg_stop(struct pg *p)
{
	struct pg	**pp;

	if (p == NULL)
		return;
	for (pp = &pg_all; *pp != NULL; pp = &(*pp)->pg_next)
		if (*pp == p) {
			*pp = p->pg_next;
			break;
		}
	if (p->pg_conn != NULL)
		PQfinish(p->pg_conn);
	if (getenv("KEEP_E2E_DIRS") != NULL) {
		cluster(p, "halt", NULL, NULL);
		fprintf(stderr, "kept %s (PostgreSQL stopped)\n", p->pg_dir);
	} else
		cluster(p, "stop", NULL, NULL);
	free(p);
}

void
pg_teardown(void)
{
	while (proxy_all != NULL)
		pg_proxy_stop(proxy_all);
	while (pg_all != NULL)
		pg_stop(pg_all);
}

/* ---- queries ---- */

static PGresult *
query_v(const char *file, int line, struct pg *p, const char *sql, va_list ap)
{
	const char	*params[16], *a;
	PGresult	*r;
	PGconn		*c;
	int		 n = 0, i, attempt;
	ExecStatusType	 st;

	for (a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *)) {
		if (n == 16)
			pg_fail(file, line, "pg_query: more than 16 parameters");
		params[n++] = a;
	}
	for (attempt = 0;; attempt++) {
		c = pg_connection(file, line, p);
		r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
		st = PQresultStatus(r);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return r;
		/* The server restarted under the test's connection: once more. */
		if (PQstatus(c) == CONNECTION_BAD && attempt == 0) {
			PQclear(r);
			continue;
		}
		break;
	}
	print_error("%s:%d: query failed: %s\n    %s\n", file, line, sql,
	    PQresultErrorMessage(r));
	for (i = 0; i < n; i++)
		print_error("    $%d = %s\n", i + 1, params[i]);
	PQclear(r);
	pg_fail(file, line, "a query on the head-office database failed");
}

PGresult *
h_pg_query(const char *file, int line, struct pg *p, const char *sql, ...)
{
	PGresult	*r;
	va_list		 ap;

	va_start(ap, sql);
	r = query_v(file, line, p, sql, ap);
	va_end(ap);
	return r;
}

char *
h_pg_value(const char *file, int line, struct pg *p, const char *sql, ...)
{
	PGresult	*r;
	va_list		 ap;
	char		*v = NULL;

	va_start(ap, sql);
	r = query_v(file, line, p, sql, ap);
	va_end(ap);
	if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		if ((v = strdup(PQgetvalue(r, 0, 0))) == NULL)
			abort();
	PQclear(r);
	return v;
}

long long
h_pg_int(const char *file, int line, struct pg *p, const char *sql, ...)
{
	PGresult	*r;
	va_list		 ap;
	long long	 v = -1;

	va_start(ap, sql);
	r = query_v(file, line, p, sql, ap);
	va_end(ap);
	if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

/* ---- the proxy ---- */

#define PROXY_BUF	65536
#define PROXY_MAX	64

/* One direction of a connection: bytes read from one side, not yet written to the other. */
struct pipe_half {
	char	buf[PROXY_BUF];
	size_t	off, len;
	bool	eof;		/* the reading side ended */
	bool	shut;		/* and the writing side was told (shutdown) */
};

struct proxy_pair {
	int			fd[2];	/* [0] the client, [1] the server */
	struct pipe_half	half[2];	/* [0]: client to server; [1]: back */
	bool			used;
};

struct pg_proxy {
	pthread_t		 px_thread;
	pthread_mutex_t		 px_lock;
	int			 px_listen;
	int			 px_port, px_upstream;
	int			 px_wake[2];	/* a pipe: the test tells the thread to look again */
	bool			 px_blackhole, px_reset, px_quit;
	int			 px_accepted, px_open;
	struct proxy_pair	 px_pairs[PROXY_MAX];
	struct pg_proxy		*px_next;
};

/* Pairs change under px_lock: pg_proxy_pending() looks at their sockets. */
static void
pair_close(struct pg_proxy *px, struct proxy_pair *pp)
{
	pthread_mutex_lock(&px->px_lock);
	close(pp->fd[0]);
	close(pp->fd[1]);
	pp->used = false;
	px->px_open--;
	pthread_mutex_unlock(&px->px_lock);
}

static int
connect_upstream(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Loopback: a blocking connect answers at once (or is refused). */
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void
proxy_accept(struct pg_proxy *px)
{
	struct proxy_pair	*pp = NULL;
	int			 fd, up, i, one = 1;

	if ((fd = accept(px->px_listen, NULL, NULL)) == -1)
		return;
	for (i = 0; i < PROXY_MAX; i++)
		if (!px->px_pairs[i].used) {
			pp = &px->px_pairs[i];
			break;
		}
	/* PostgreSQL down: the client sees its connection closed, as it
	 * would see it refused without the proxy. */
	if (pp == NULL || (up = connect_upstream(px->px_upstream)) == -1) {
		close(fd);
		pthread_mutex_lock(&px->px_lock);
		px->px_accepted++;
		pthread_mutex_unlock(&px->px_lock);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&px->px_lock);
	memset(pp, 0, sizeof *pp);
	pp->fd[0] = fd;
	pp->fd[1] = up;
	pp->used = true;
	px->px_accepted++;
	px->px_open++;
	pthread_mutex_unlock(&px->px_lock);
}

/* Moves what can move in one direction; false when the pair is finished or broken. */
static bool
half_move(struct proxy_pair *pp, int dir, short rev_in, short rev_out)
{
	struct pipe_half	*h = &pp->half[dir];
	int			 in = pp->fd[dir], out = pp->fd[1 - dir];
	ssize_t			 n;

	if ((rev_in & (POLLIN | POLLHUP | POLLERR)) && !h->eof && h->len == 0) {
		n = read(in, h->buf, sizeof h->buf);
		if (n > 0) {
			h->off = 0;
			h->len = (size_t)n;
		} else if (n == 0)
			h->eof = true;
		else if (errno != EAGAIN && errno != EINTR)
			return false;
	}
	if (h->len > 0 && (rev_out & (POLLOUT | POLLERR | POLLHUP))) {
		/* MSG_NOSIGNAL: a side gone (a daemon killed) is no SIGPIPE here. */
		n = send(out, h->buf + h->off, h->len, MSG_NOSIGNAL);
		if (n > 0) {
			h->off += (size_t)n;
			h->len -= (size_t)n;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR)
			return false;
	}
	if (h->eof && h->len == 0 && !h->shut) {
		shutdown(out, SHUT_WR);
		h->shut = true;
	}
	return true;
}

static void *
proxy_main(void *arg)
{
	struct pg_proxy		*px = arg;
	struct pollfd		 pfd[2 + 2 * PROXY_MAX];
	int			 map[2 + 2 * PROXY_MAX];
	struct proxy_pair	*pp;
	short			 rev[2][2];
	bool			 blackhole, reset, quit;
	char			 drain[64];
	int			 n, i, j, k;

	for (;;) {
		pthread_mutex_lock(&px->px_lock);
		blackhole = px->px_blackhole;
		reset = px->px_reset;
		px->px_reset = false;
		quit = px->px_quit;
		pthread_mutex_unlock(&px->px_lock);
		if (quit)
			break;
		if (reset)
			for (i = 0; i < PROXY_MAX; i++)
				if (px->px_pairs[i].used)
					pair_close(px, &px->px_pairs[i]);

		n = 0;
		pfd[n].fd = px->px_wake[0];
		pfd[n].events = POLLIN;
		map[n++] = -1;
		/* Blackholed: nothing is read, written or accepted; the
		 * kernel's buffers and backlog hold what comes. */
		if (!blackhole) {
			pfd[n].fd = px->px_listen;
			pfd[n].events = POLLIN;
			map[n++] = -2;
			for (i = 0; i < PROXY_MAX; i++) {
				pp = &px->px_pairs[i];
				if (!pp->used)
					continue;
				for (j = 0; j < 2; j++) {
					/* fd[j] reads half j and writes half 1-j. */
					pfd[n].fd = pp->fd[j];
					pfd[n].events = 0;
					if (!pp->half[j].eof && pp->half[j].len == 0)
						pfd[n].events |= POLLIN;
					if (pp->half[1 - j].len > 0)
						pfd[n].events |= POLLOUT;
					map[n++] = i * 2 + j;
				}
			}
		}
		if (poll(pfd, (nfds_t)n, 1000) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (k = 0; k < n; k++) {
			if (map[k] == -1 && (pfd[k].revents & POLLIN))
				while (read(px->px_wake[0], drain, sizeof drain) > 0)
					;
			if (map[k] == -2 && (pfd[k].revents & POLLIN))
				proxy_accept(px);
		}
		if (blackhole)
			continue;
		for (i = 0; i < PROXY_MAX; i++) {
			pp = &px->px_pairs[i];
			if (!pp->used)
				continue;
			rev[0][0] = rev[0][1] = rev[1][0] = rev[1][1] = 0;
			for (k = 0; k < n; k++)
				if (map[k] >= 0 && map[k] / 2 == i) {
					j = map[k] % 2;
					rev[j][0] = pfd[k].revents;
				}
			/* half 0: in on fd 0 (rev[0]), out on fd 1 (rev[1]). */
			if (!half_move(pp, 0, rev[0][0], rev[1][0]) ||
			    !half_move(pp, 1, rev[1][0], rev[0][0]) ||
			    (pp->half[0].shut && pp->half[1].shut)) {
				pair_close(px, pp);
				continue;
			}
		}
	}
	for (i = 0; i < PROXY_MAX; i++)
		if (px->px_pairs[i].used)
			pair_close(px, &px->px_pairs[i]);
	return NULL;
}

static void
proxy_wake(struct pg_proxy *px)
{
	ssize_t	n;

	do
		n = write(px->px_wake[1], "x", 1);
	while (n == -1 && errno == EINTR);
}

struct pg_proxy *
h_pg_proxy_start(const char *file, int line, int upstream)
{
	struct pg_proxy		*px;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 one = 1;

	if (!pg_atexit_set) {
		atexit(pg_atexit);
		pg_atexit_set = true;
	}
	if ((px = calloc(1, sizeof *px)) == NULL)
		abort();
	px->px_upstream = upstream;
	if ((px->px_listen = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		pg_fail(file, line, "socket: %s", strerror(errno));
	setsockopt(px->px_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(px->px_listen, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(px->px_listen, 64) == -1 ||
	    getsockname(px->px_listen, (struct sockaddr *)&sin, &len) == -1)
		pg_fail(file, line, "the proxy's socket: %s", strerror(errno));
	fcntl(px->px_listen, F_SETFL, fcntl(px->px_listen, F_GETFL) | O_NONBLOCK);
	px->px_port = ntohs(sin.sin_port);
	if (pipe(px->px_wake) == -1)
		pg_fail(file, line, "pipe: %s", strerror(errno));
	fcntl(px->px_wake[0], F_SETFL, O_NONBLOCK);
	pthread_mutex_init(&px->px_lock, NULL);
	if (pthread_create(&px->px_thread, NULL, proxy_main, px) != 0)
		pg_fail(file, line, "pthread_create failed");
	px->px_next = proxy_all;
	proxy_all = px;
	return px;
}

int
pg_proxy_port(const struct pg_proxy *px)
{
	return px->px_port;
}

void
pg_proxy_blackhole(struct pg_proxy *px, bool on)
{
	pthread_mutex_lock(&px->px_lock);
	px->px_blackhole = on;
	pthread_mutex_unlock(&px->px_lock);
	proxy_wake(px);
}

void
pg_proxy_reset(struct pg_proxy *px)
{
	pthread_mutex_lock(&px->px_lock);
	px->px_reset = true;
	pthread_mutex_unlock(&px->px_lock);
	proxy_wake(px);
}

int
pg_proxy_accepted(struct pg_proxy *px)
{
	int	n;

	pthread_mutex_lock(&px->px_lock);
	n = px->px_accepted;
	pthread_mutex_unlock(&px->px_lock);
	return n;
}

int
pg_proxy_open(struct pg_proxy *px)
{
	int	n;

	pthread_mutex_lock(&px->px_lock);
	n = px->px_open;
	pthread_mutex_unlock(&px->px_lock);
	return n;
}

int
pg_proxy_pending(struct pg_proxy *px)
{
	int	i, n, sum = 0;

	pthread_mutex_lock(&px->px_lock);
	for (i = 0; i < PROXY_MAX; i++)
		if (px->px_pairs[i].used && ioctl(px->px_pairs[i].fd[0], FIONREAD, &n) == 0)
			sum += n;
	pthread_mutex_unlock(&px->px_lock);
	return sum;
}

void
pg_proxy_stop(struct pg_proxy *px)
{
	struct pg_proxy	**pp;

	for (pp = &proxy_all; *pp != NULL; pp = &(*pp)->px_next)
		if (*pp == px) {
			*pp = px->px_next;
			break;
		}
	pthread_mutex_lock(&px->px_lock);
	px->px_quit = true;
	pthread_mutex_unlock(&px->px_lock);
	proxy_wake(px);
	pthread_join(px->px_thread, NULL);
	close(px->px_listen);
	close(px->px_wake[0]);
	close(px->px_wake[1]);
	pthread_mutex_destroy(&px->px_lock);
	free(px);
}
