/*
 * SIGHUP: the configuration file read again and put into effect without a
 * restart or a dropped connection (docs/OPERATIONS.md "Reload").
 *
 * The new file is read and checked whole first; a file with a problem is
 * refused, every problem logged, and the configuration in use stays.  A
 * good one replaces it in one step between two callbacks of the loop:
 * terminals, tokens, roles, thresholds, authority limits, follow-up hours,
 * webhooks, printers, accessible windows, HTTP host names and session
 * lifetimes, the authentication limits and the operations keys (the daily
 * backup re-armed at its new time).  Whoever
 * is signed in as a terminal that was removed or given another token, role
 * or staff is signed out: its connections end with an error line saying
 * why, its event streams end, its browsers' sessions are deleted.  The
 * others go on, now speaking for the same terminal in the new file.
 *
 * What is fixed for the life of the process (the branch, its time zone,
 * the listeners' limits and timeouts) keeps its value; a change of it is
 * logged as taking effect at the next restart.
 *
 * The old configuration is kept until the next reload: a reply already on
 * its way (the commit barrier holds it for a moment) may still name it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "branchq.h"

static struct {
	struct branch	*rl_branch;
	struct config	*rl_live;	/* what b_cfg points to */
	struct config	*rl_retired;	/* the one before, freed at the next reload */
	char		*rl_path;	/* NULL: the built-in demo configuration */
} rl;

void
reload_init(struct branch *b, struct config *live, const char *path)
{
	rl.rl_branch = b;
	rl.rl_live = live;
	rl.rl_path = path != NULL ? xstrdup(path) : NULL;
}

static void
keep_int(int *nw, int old, const char *key)
{
	if (*nw == old)
		return;
	log_warnx("event=reload key=%s old=%d new=%d msg=\"takes effect at the next "
	    "restart\"", key, old, *nw);
	*nw = old;
}

static void
keep_str(char **nw, const char *old, const char *key)
{
	if (strcmp(*nw, old) == 0)
		return;
	log_warnx("event=reload key=%s old=%s new=%s msg=\"takes effect at the next "
	    "restart\"", key, log_str(old), log_str(*nw));
	free(*nw);
	*nw = xstrdup(old);
}

/* What the listeners and the business day were set up with at start-up. */
static void
keep_fixed(struct config *nw, const struct config *old)
{
	keep_str(&nw->cf_branch, old->cf_branch, "branch");
	keep_str(&nw->cf_timezone, old->cf_timezone, "timezone");
	keep_int(&nw->cf_max_connections, old->cf_max_connections, "max_connections");
	keep_int(&nw->cf_hello_timeout_s, old->cf_hello_timeout_s, "hello_timeout_s");
	keep_int(&nw->cf_idle_timeout_s, old->cf_idle_timeout_s, "idle_timeout_s");
	keep_int(&nw->cf_write_timeout_s, old->cf_write_timeout_s, "write_timeout_s");
	keep_int(&nw->cf_http_max_connections, old->cf_http_max_connections,
	    "http_max_connections");
	keep_int(&nw->cf_http_heartbeat_s, old->cf_http_heartbeat_s, "http_heartbeat_s");
}

/* Terminals added, removed and changed (another token, role or staff). */
static void
count_terminals(const struct config *old, const struct config *nw, size_t *added,
    size_t *removed, size_t *changed)
{
	const char	*why;
	size_t		 i;

	*added = *removed = *changed = 0;
	for (i = 0; i < nw->cf_nterminals; i++)
		if (config_terminal(old, nw->cf_terminals[i].tc_id) == NULL)
			(*added)++;
	for (i = 0; i < old->cf_nterminals; i++)
		if (config_terminal_successor(nw, &old->cf_terminals[i], &why) == NULL) {
			if (strcmp(why, "removed") == 0)
				(*removed)++;
			else
				(*changed)++;
			log_info("event=reload terminal=%s change=%s",
			    old->cf_terminals[i].tc_id, why);
		}
}

static void
reload_tls(void)
{
	char	err[512], desc[512];

	if (!tls_enabled())
		return;
	if (tls_reload(err, sizeof err) == -1) {
		log_warnx("event=tls_reload failed msg=\"the certificate in use stays\": %s",
		    err);
		return;
	}
	tls_describe(desc, sizeof desc);
	log_info("event=tls_reload ok %s", desc);
}

static void
report_problem(void *arg, const char *problem)
{
	(void)arg;
	log_warnx("event=reload problem=%s", log_str(problem));
}

static double
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int
reload_run(void)
{
	struct config	*nw, *old = rl.rl_live;
	struct hq_settings hs;
	size_t		 t_added, t_removed, t_changed, w_added, w_removed;
	double		 began = monotonic_ms();
	char		 status[256 + PATH_MAX];
	int		 rc = 0, n;

	if (rl.rl_path == NULL) {
		log_info("event=reload file=demo msg=\"the built-in demo configuration has "
		    "no file to read again\"");
		reload_tls();
		return 0;
	}
	if ((nw = calloc(1, sizeof *nw)) == NULL)
		fatal("calloc");
	/* Reading the file only checks its "timezone": the business day stays
	 * in the zone the daemon started with (keep_fixed), whatever it says. */
	n = config_load_file_report(nw, rl.rl_path, report_problem, NULL);
	if (n != 0) {
		log_warnx("event=reload refused file=%s problems=%d msg=\"the configuration "
		    "in use stays\"", log_str(rl.rl_path), n);
		snprintf(status, sizeof status, "reload refused: %d problem%s in %s (see the "
		    "log); the configuration in use stays", n, n == 1 ? "" : "s", rl.rl_path);
		notify_status(status);
		free(nw);
		rc = -1;
		goto tls;
	}
	keep_fixed(nw, old);
	count_terminals(old, nw, &t_added, &t_removed, &t_changed);

	/* One step: from here on everything reads the new file. */
	branch_set_config(rl.rl_branch, nw);
	server_config_changed(nw);
	http_api_config_changed(old);
	webhook_config_changed(&w_added, &w_removed);
	printer_config_changed(nw);
	config_hq_settings(nw, &hs);	/* hq added, removed or changed */
	hq_relay_configure(rl.rl_branch->b_hq, &hs);
	backup_configure(nw);		/* backup_at and backup_keep: the daily copy re-armed */

	if (rl.rl_retired != NULL) {
		config_free(rl.rl_retired);
		free(rl.rl_retired);
	}
	rl.rl_retired = old;
	rl.rl_live = nw;
	/* How long the loop was held: the file read and checked, and every
	 * connection and stream looked at. */
	log_info("event=reload ok file=%s terminals=%zu added=%zu removed=%zu changed=%zu "
	    "webhooks=%zu webhooks_added=%zu webhooks_removed=%zu ms=%.1f", log_str(rl.rl_path),
	    nw->cf_nterminals, t_added, t_removed, t_changed, nw->cf_nwebhooks, w_added,
	    w_removed, monotonic_ms() - began);
	snprintf(status, sizeof status, "serving branch %s; configuration reloaded: %zu "
	    "terminals, %zu webhooks", nw->cf_branch, nw->cf_nterminals, nw->cf_nwebhooks);
	notify_status(status);
tls:
	reload_tls();
	return rc;
}

void
reload_free(void)
{
	if (rl.rl_retired != NULL) {
		config_free(rl.rl_retired);
		free(rl.rl_retired);
	}
	if (rl.rl_live != NULL) {
		config_free(rl.rl_live);
		free(rl.rl_live);
	}
	free(rl.rl_path);
	memset(&rl, 0, sizeof rl);
}
