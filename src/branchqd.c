/*
 * branchqd: the branch's queue and service-recovery daemon.
 *
 * Start-up either completes or exits with status 2 and a line naming the
 * file, field or port at fault (one per problem of the configuration):
 * never a half-started daemon.  --check-config FILE only reads the file.
 */
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "branchq.h"

#define DEFAULT_CONFIG	"branchq.json"
#define DEFAULT_DB	"branchq.db"
#define DEFAULT_LISTEN	"127.0.0.1:7420"
#define DEFAULT_HTTP	"127.0.0.1:7421"
#define HTTP_REQUEST_S	10	/* PROTOCOL HTTP: a request arrives within 10 s */

static struct event_base	*main_base;
static struct branch		*main_branch;	/* for the barrier's hooks */

/* The barrier's word on each group commit: new events for head office. */
static void
hq_group_done(bool committed)
{
	if (committed && main_branch != NULL)
		hq_relay_kick(main_branch->b_hq);
}

/*
 * The test hooks (--test-clock, --test-clock-start, clock.advance,
 * test.fault and the fault VFS) are built into branchqd-test alone, with
 * BQ_TEST_HOOKS: the daemon a bank installs cannot be told to fail.
 */
#ifdef BQ_TEST_HOOKS
#define PROGRAM		"branchqd-test"
#define USAGE_TEST	"                [--test-clock [--test-clock-start YYYY-MM-DDTHH:MM:SSZ]]\n"
#else
#define PROGRAM		"branchqd"
#define USAGE_TEST	""
#endif

static _Noreturn void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: " PROGRAM " [--config FILE] [--db FILE] [--listen HOST:PORT]\n"
	    "                [--http HOST:PORT|off] [--wal-pages N]\n"
	    "                [--tls-cert FILE --tls-key FILE] [--backup-dir DIR]\n"
	    USAGE_TEST "                [--verbose]\n"
	    "       " PROGRAM " --check-config FILE\n"
	    "defaults: --config %s (or the built-in demo configuration when there is\n"
	    "no such file), --db %s, --listen %s, --http %s, --wal-pages %d.\n"
	    "--tls-cert and --tls-key (a PEM certificate chain and its private key, read\n"
	    "again on SIGHUP): TLS 1.2 or later on every listener; without them, plain text.\n"
	    "--backup-dir DIR (an existing, writable directory): a checked copy of the\n"
	    "database there daily at backup_at and on demand (the backup op); without it,\n"
	    "no backups.\n"
	    "--check-config FILE: read FILE as the configuration and report every\n"
	    "problem, one \"FILE:LINE: message\" line each on stderr (exit 2), or print\n"
	    "\"FILE: ok\" (exit 0); nothing else is opened or started.\n",
	    DEFAULT_CONFIG, DEFAULT_DB, DEFAULT_LISTEN, DEFAULT_HTTP, STORE_WAL_PAGES);
	exit(status);
}

static _Noreturn void
startup_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("branchqd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
print_line(const char *line)
{
	printf("%s\n", line);
}

/* One problem of the configuration on stderr, after prefix (arg). */
static void
print_problem(void *arg, const char *problem)
{
	fprintf(stderr, "%s%s\n", (const char *)arg, problem);
}

/*
 * Every problem of the file, "branchqd: FILE:LINE: message" each, then exit
 * 2 (cfg, allocated by the caller, freed first: valgrind sees no leak).
 */
static void
load_config(struct config *cfg, const char *path)
{
	struct stat	st;

	if (path == NULL && stat(DEFAULT_CONFIG, &st) == -1 && errno == ENOENT) {
		config_demo(cfg);
		config_print_demo(cfg, print_line);
		fflush(stdout);
		return;
	}
	if (config_load_file_report(cfg, path != NULL ? path : DEFAULT_CONFIG,
	    print_problem, "branchqd: ") != 0) {
		free(cfg);	/* left zeroed: nothing inside to free */
		exit(2);
	}
}

/*
 * --check-config: the file alone, before a restart or a reload.  No
 * database, no listener, no TLS: a bank's IT can run it as any user that
 * may read the file.
 */
static _Noreturn void
check_config(const char *path)
{
	struct config	cfg;

	if (config_load_file_report(&cfg, path, print_problem, "") != 0)
		exit(2);
	config_free(&cfg);
	printf("%s: ok\n", path);
	exit(0);
}

/*
 * One daemon per database: the in-memory queue is the truth between
 * requests, so a second daemon on the same file would hand out the same
 * numbers.  The lock lives as long as the process.
 */
static int
lock_database(const char *path)
{
	char		*copy, *dir;
	struct stat	 st;
	int		 fd;

	if ((copy = strdup(path)) == NULL)
		fatal("strdup");
	dir = dirname(copy);
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		startup_error("--db %s: directory %s does not exist", path, dir);
	if (access(dir, W_OK | X_OK) == -1)
		startup_error("--db %s: directory %s is not writable", path, dir);
	free(copy);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1)
		startup_error("--db %s: cannot open it for writing: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		startup_error("--db %s: in use by another branchqd", path);
	return fd;
}

/* Both listeners have written the replies under way. */
static int	shutdown_pending;

static void
shutdown_done(void)
{
	if (--shutdown_pending == 0)
		event_base_loopbreak(main_base);
}

/*
 * Issue 6: ten thousand terminals each hold a socket, and a soft limit of
 * 1024 open files is common.  Raise the soft limit toward the hard one, as
 * far as max_connections needs; server.c caps connections at what we got.
 */
static void
raise_nofile(const struct config *cfg)
{
	struct rlimit	rl;
	rlim_t		want, was;

	want = (rlim_t)cfg->cf_max_connections + (rlim_t)cfg->cf_http_max_connections +
	    BQ_FD_RESERVE + (rlim_t)cfg->cf_nwebhooks;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("event=nofile: getrlimit");
		return;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
		    rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("event=nofile soft=%llu hard=%llu wanted=%llu: setrlimit",
			    (unsigned long long)was, (unsigned long long)rl.rlim_max,
			    (unsigned long long)rl.rlim_cur);
			return;
		}
	}
	log_info("event=nofile soft=%llu hard=%llu was=%llu wanted=%llu",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
	    (unsigned long long)was, (unsigned long long)want);
}

/*
 * SIGHUP (systemctl reload): the configuration file and the TLS files read
 * again (reload.c); systemd hears RELOADING=1, then READY=1 when done,
 * whether the file was taken or refused.
 */
static void
on_sighup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	notify_reloading();
	reload_run();
	notify_ready();
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	static bool	stopping;

	(void)what;
	(void)arg;
	if (stopping)
		return;
	stopping = true;
	log_info("event=stop signal=%s: finishing the replies under way",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	notify_stopping();
	shutdown_pending = 2;
	http_shutdown(shutdown_done);
	server_shutdown(shutdown_done);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "http", required_argument, NULL, 'H' },
		{ "test-clock", no_argument, NULL, 't' },
		{ "test-clock-start", required_argument, NULL, 's' },
		{ "wal-pages", required_argument, NULL, 'w' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "backup-dir", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*config_path = NULL, *db_path = DEFAULT_DB, *listen = DEFAULT_LISTEN;
	const char	*tls_cert = NULL, *tls_key = NULL, *check_path = NULL;
	const char	*backup_dir = NULL;
	const char	*http = DEFAULT_HTTP;
	struct http_limits http_lim;
	struct config	*cfg;
	struct branch	 branch;
	struct store	*store;
	struct event	*ev_term, *ev_int, *ev_hup;
	struct evdns_base *dns;
	struct hq_settings hs;
	bool		 test_clock = false;
	int64_t		 test_start = 0;
	long		 wal_pages = STORE_WAL_PAGES;
	int		 ch, lock_fd;
	char		 err[512], bound[80], http_bound[80] = "off", url[128] = "", *end;

	while ((ch = getopt_long(argc, argv, "c:d:l:tvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'd': db_path = optarg; break;
		case 'l': listen = optarg; break;
		case 'H': http = optarg; break;
#ifdef BQ_TEST_HOOKS
		case 't': test_clock = true; break;
		case 's':
			if (time_parse(optarg, &test_start) == -1)
				startup_error("--test-clock-start %s: must be like "
				    "2026-11-22T08:00:00Z", optarg);
			break;
#else
		case 't':
		case 's':
			startup_error("--%s: the test hooks are not in this daemon; they are "
			    "in branchqd-test, built for the tests", ch == 't' ? "test-clock" :
			    "test-clock-start");
#endif
		case 'w':
			errno = 0;
			wal_pages = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    wal_pages < STORE_WAL_PAGES_MIN || wal_pages > STORE_WAL_PAGES_MAX)
				startup_error("--wal-pages %s: must be a whole number from %d to %d",
				    optarg, STORE_WAL_PAGES_MIN, STORE_WAL_PAGES_MAX);
			break;
		case 'C': tls_cert = optarg; break;
		case 'K': tls_key = optarg; break;
		case 'B': backup_dir = optarg; break;
		case 'v': log_init(LOG_LEVEL_DEBUG); break;
		case 'k': check_path = optarg; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (check_path != NULL)
		check_config(check_path);
	/* Before SQLite starts: no global allocation statistics, so no mutex
	 * around every malloc (a profile of ticket.issue showed it). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (test_start != 0 && !test_clock)
		startup_error("--test-clock-start needs --test-clock");
	/* Before anything is opened: a daemon that cannot speak TLS does not start. */
	if (tls_init(tls_cert, tls_key, err, sizeof err) == -1)
		startup_error("%s", err);
	signal(SIGPIPE, SIG_IGN);

	if ((cfg = calloc(1, sizeof *cfg)) == NULL)
		fatal("calloc");
	load_config(cfg, config_path);
	if (time_set_zone(cfg->cf_timezone) == -1)
		startup_error("timezone: unknown time zone \"%s\"", cfg->cf_timezone);
	/* What was loaded, never a token or a webhook secret. */
	log_info("event=config file=%s branch=%s timezone=%s terminals=%zu webhooks=%zu",
	    cfg->cf_demo ? "demo" : log_str(config_path != NULL ? config_path : DEFAULT_CONFIG),
	    log_str(cfg->cf_branch), log_str(cfg->cf_timezone), cfg->cf_nterminals,
	    cfg->cf_nwebhooks);
	raise_nofile(cfg);

	if ((main_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (test_clock && test_start == 0)
		test_start = (int64_t)time(NULL);	/* the test clock starts at now */
	clock_init(main_base, test_clock, test_start);

#ifdef BQ_TEST_HOOKS
	/* Tests make the database fail on demand (test.fault): never in production. */
	if (test_clock && faultvfs_register(err, sizeof err) == -1)
		startup_error("%s", err);
#endif
	lock_fd = lock_database(db_path);
	if ((store = store_open(db_path, (int)wal_pages, err, sizeof err)) == NULL)
		startup_error("--db %s: %s", db_path, err);
	if (reports_start(main_base, db_path, err, sizeof err) == -1)
		startup_error("--db %s: %s", db_path, err);
	if (backup_start(main_base, db_path, backup_dir, cfg, err, sizeof err) == -1)
		startup_error("%s", err);
	/* Event numbers go on from the last run's (PROTOCOL 1.1 seq), before
	 * anything can publish. */
	if (publish_open(store, err, sizeof err) == -1)
		startup_error("--db %s: %s", db_path, err);
	/* Before branch_open(): deadlines that passed while down fire in it. */
	events_init(main_base, &branch);
	if (branch_open(&branch, cfg, store, events_hooks(), err, sizeof err) == -1)
		startup_error("--db %s: %s", db_path, err);
	/* From here the configuration is reload.c's: SIGHUP replaces it. */
	reload_init(&branch, cfg, cfg->cf_demo ? NULL :
	    config_path != NULL ? config_path : DEFAULT_CONFIG);
	followup_start(&branch);
	/* Personal data past retention_days: erased a minute from now, then daily. */
	retention_start(&branch);
	if (webhook_start(main_base, &branch, err, sizeof err) == -1)
		startup_error("--db %s: %s", db_path, err);
	/* Browsers signed in for terminals since removed or given a new token: out. */
	if (websession_prune(&branch, err, sizeof err) == -1)
		startup_error("--db %s: %s", db_path, err);
	barrier_init(main_base, &branch);
	/* Kiosks' printers: iconv opened here, before the loop; a receipt
	 * leaves after the commit of its ticket. */
	printer_init(main_base, cfg);
	barrier_on_group_done(printer_group_done);
	barrier_on_group_done(retention_group_done);
	/*
	 * Head office's relay, always: with "hq" it ships the event log, without
	 * it it only prunes events older than 7 days, so SIGHUP can add or
	 * remove "hq" (reload.c).  Its own resolver for the host name (evdns:
	 * /etc/resolv.conf read here, before the loop; asked only when a name
	 * must be looked up).
	 */
	if ((dns = evdns_base_new(main_base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL)
		log_warnx("event=hq_dns msg=\"no resolver: head office must be named by an "
		    "address or a socket directory\"");
	config_hq_settings(cfg, &hs);
	if ((branch.b_hq = hq_relay_open(main_base, dns, db_path, &hs, err, sizeof err)) == NULL)
		startup_error("--db %s: %s", db_path, err);
	main_branch = &branch;
	barrier_on_group_done(hq_group_done);
	if (server_listen(main_base, &branch, listen, bound, sizeof bound, err, sizeof err) == -1)
		startup_error("%s", err);
	http_api_init(main_base, &branch);
	if (strcmp(http, "off") != 0) {
		http_lim.hl_max_connections = cfg->cf_http_max_connections;
		http_lim.hl_request_s = HTTP_REQUEST_S;
		http_lim.hl_write_timeout_s = cfg->cf_write_timeout_s;
		if (http_listen(main_base, http, &http_lim, http_api_handle, http_bound,
		    sizeof http_bound, err, sizeof err) == -1)
			startup_error("%s", err);
		snprintf(url, sizeof url, " url=%s://%s/", tls_enabled() ? "https" : "http",
		    http_bound);
		/* The README's first command: where the pages are. */
		printf("The pages: %s://%s/\n", tls_enabled() ? "https" : "http", http_bound);
		fflush(stdout);
	}

	ev_term = evsignal_new(main_base, SIGTERM, on_signal, NULL);
	ev_int = evsignal_new(main_base, SIGINT, on_signal, NULL);
	ev_hup = evsignal_new(main_base, SIGHUP, on_sighup, NULL);
	if (ev_term == NULL || ev_int == NULL || ev_hup == NULL ||
	    evsignal_add(ev_term, NULL) == -1 || evsignal_add(ev_int, NULL) == -1 ||
	    evsignal_add(ev_hup, NULL) == -1)
		fatalx("cannot handle signals");

	if (tls_enabled()) {
		char	desc[512];

		tls_describe(desc, sizeof desc);
		log_info("event=tls %s", desc);
	}
	log_info("event=start branch=%s listen=%s http=%s%s db=%s config=%s clock=%s tls=%s "
	    "msg=\"listening on %s\"", log_str(cfg->cf_branch), bound, http_bound, url,
	    log_str(db_path), cfg->cf_demo ? "demo" : "file", test_clock ? "test" : "real",
	    tls_enabled() ? "on" : "off", bound);
	/* systemd (Type=notify): both listeners accept connections now, and
	 * the loop that pings the watchdog is about to turn. */
	notify_init(main_base);
	{
		char	status[256];

		/* What `systemctl status branchqd` shows beside "active". */
		snprintf(status, sizeof status, "serving branch %s: line protocol %s, HTTP %s",
		    cfg->cf_branch, bound, http_bound);
		notify_status(status);
	}
	notify_ready();
	event_base_dispatch(main_base);

	reports_stop();
	backup_stop();
	webhook_stop();
	events_free();
	server_free();
	http_api_free();
	http_free();
	barrier_free();
	printer_free();
	hq_relay_close(branch.b_hq);
	branch.b_hq = NULL;
	main_branch = NULL;
	if (dns != NULL)
		evdns_base_free(dns, 0);
	publish_close();
	branch_close(&branch);
	store_close(store);
	clock_shutdown();
	notify_free();
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	event_base_free(main_base);
	libevent_global_shutdown();
	reload_free();		/* the configuration in use, and the one before */
	tls_free();
	close(lock_fd);
	log_info("event=stopped");
	return 0;
}
