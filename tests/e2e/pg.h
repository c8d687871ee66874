/*
 * The head-office side of the e2e tests: a real PostgreSQL 15 cluster
 * (tests/pg/cluster.sh) with the head-office schema applied by the real
 * `branchq hq migrate`, queries on it, and a TCP proxy between the daemons
 * and the server that can cut the network.
 *
 * pg_start() makes a throwaway cluster in a new /tmp/bq-pg-XXXXXX (as
 * nobody when the tests run as root; TLS with its own CA; 127.0.0.1 on a
 * free port and a Unix socket in the directory), the database branchq_hq
 * in it, and migrates it.  pg_teardown() (call it from the test's cmocka
 * teardown, after harness_teardown()) stops and removes every cluster and
 * proxy; so does the end of the process, and a watcher removes the cluster
 * if the test binary is killed.
 *
 * Environment: BUILD (where branchq is, default "build"), as the harness;
 * HQ_MIGRATE_SQL_DIR, for working on the schema: its *.sql files are run in
 * order by psql instead of `branchq hq migrate`.
 *
 * The query functions fail the running test (with the SQL, the
 * parameters and PostgreSQL's message) when the query fails; results
 * returned belong to the caller (PQclear, free).
 */
#ifndef PG_H
#define PG_H

#include <limits.h>
#include <stdbool.h>

#include <libpq-fe.h>

#define PG_DB		"branchq_hq"

struct pg {
	char	 pg_dir[64];		/* cluster.sh's DIR: data/, log, ca.pem, the socket */
	int	 pg_port;		/* on 127.0.0.1 and the socket's number */
	char	 pg_ca[PATH_MAX];	/* the CA that signed the server's certificate */
	bool	 pg_running;
	PGconn	*pg_conn;		/* the test's own connection (the socket), or NULL */
	struct pg *pg_next;
};

/* A new cluster, its database made and migrated.  max_connections 0: 100. */
#define pg_start(maxconn)	h_pg_start(__FILE__, __LINE__, (maxconn))
struct pg	*h_pg_start(const char *, int, int max_connections);
/* The server stopped (pg_ctl stop -m fast), its files kept. */
#define pg_halt(p)		h_pg_ctl(__FILE__, __LINE__, (p), "halt")
/* The server killed (pg_ctl stop -m immediate: a crash; recovery on the next start). */
#define pg_crash(p)		h_pg_ctl(__FILE__, __LINE__, (p), "kill")
/* Started again on the same port after a halt or a crash. */
#define pg_resume(p)		h_pg_ctl(__FILE__, __LINE__, (p), "start")
void		 h_pg_ctl(const char *, int, struct pg *, const char *verb);
/* Stops and removes it (pg_teardown() does it for every cluster still there). */
void		 pg_stop(struct pg *);
void		 pg_teardown(void);

/*
 * A libpq conninfo to reach it over TCP with TLS as a branch would:
 * "host=localhost hostaddr=127.0.0.1 port=PORT dbname=branchq_hq user=postgres
 * sslmode=verify-full sslrootcert=CA" (port: the server's, or a proxy's;
 * ca NULL: the cluster's own CA).  A string of the harness's (hfmt()).
 */
const char	*pg_conninfo_tls(const struct pg *, int port, const char *ca);
/* Over the Unix socket, no TLS: what the test itself and `branchq hq` use. */
const char	*pg_conninfo_socket(const struct pg *);

/*
 * A query with text parameters (NULL-terminated list), on the test's own
 * connection (made, or made again after a restart, as needed); fails the
 * test unless it returns tuples or a command status.
 */
#define pg_query(p, sql, ...)	h_pg_query(__FILE__, __LINE__, (p), (sql), __VA_ARGS__, (const char *)NULL)
PGresult	*h_pg_query(const char *, int, struct pg *, const char *sql, ...);
/* The first column of the first row as text (NULL: no row, or SQL NULL).  Caller frees. */
#define pg_value(p, sql, ...)	h_pg_value(__FILE__, __LINE__, (p), (sql), __VA_ARGS__, (const char *)NULL)
char		*h_pg_value(const char *, int, struct pg *, const char *sql, ...);
/* The same as an integer; -1 for no row or NULL. */
#define pg_int(p, sql, ...)	h_pg_int(__FILE__, __LINE__, (p), (sql), __VA_ARGS__, (const char *)NULL)
long long	 h_pg_int(const char *, int, struct pg *, const char *sql, ...);

/*
 * Runs `$BUILD/branchq ARGS...` (NULL-terminated) and returns its exit
 * status; its stdout and stderr together in *out (caller frees; NULL: not kept).
 */
int		 pg_run_branchq(char **out, const char *arg, ...);

/* ---- the network between the daemons and PostgreSQL ---- */

/*
 * A TCP proxy on 127.0.0.1 (a free port) to 127.0.0.1:upstream, run by a
 * thread of the test process.  Blackholed, it keeps every connection open
 * and stops forwarding in both directions, and accepts no new connection
 * (the kernel queues them): the network to head office cut, a port that
 * stops answering.  Restored, it forwards again, what waited included.
 */
struct pg_proxy;
#define pg_proxy_start(upstream) h_pg_proxy_start(__FILE__, __LINE__, (upstream))
struct pg_proxy	*h_pg_proxy_start(const char *, int, int upstream_port);
int		 pg_proxy_port(const struct pg_proxy *);
void		 pg_proxy_blackhole(struct pg_proxy *, bool on);
/* Connections accepted so far, and those still open. */
int		 pg_proxy_accepted(struct pg_proxy *);
int		 pg_proxy_open(struct pg_proxy *);
/* Bytes the clients sent that wait in the proxy's sockets, unread
 * (blackholed: what a daemon sent into the cut network). */
int		 pg_proxy_pending(struct pg_proxy *);
/* Closes every connection now (a reset), without cutting the network. */
void		 pg_proxy_reset(struct pg_proxy *);
void		 pg_proxy_stop(struct pg_proxy *);

#endif /* PG_H */
