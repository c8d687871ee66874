/*
 * branchq, the command-line client: what its files share.
 *
 * One header, one section per source file (as include/branchq.h does for
 * the daemon).  The client is a program of its own: it links none of the
 * daemon's objects but names.o, the name lists both sides spell the same.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <sys/types.h>

#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "names.h"

typedef struct cJSON cJSON;

#define CL_DEFAULT_ADDR		"127.0.0.1:7420"
#define CL_DEFAULT_PORT		"7420"
#define CL_DEFAULT_TIMEOUT	"10"
#define CL_MAX_LINE		(1024 * 1024)	/* longest line we accept, either way */
#define CL_PROMPT		"branchq> "

enum cl_exit {
	CL_EXIT_OK = 0,		/* the reply was ok */
	CL_EXIT_REPLY = 1,	/* the daemon replied with an error */
	CL_EXIT_FAILURE = 2	/* usage, connection or a reply we cannot read */
};

/* ---- client.c: main, running the operation, small helpers ---- */
void	cl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
int	cl_fail(const char *, ...) __attribute__((format(printf, 1, 2)));
int	usage_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	*xmalloc(size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
bool	 name_in(const char *, const char *const *);
bool	 has_suffix(const char *, const char *);

/* ---- client-args.c: options, and requests from field=value words ---- */
struct options {
	const char	*opt_connect;
	const char	*opt_terminal;
	const char	*opt_token;
	const char	*opt_timeout;
	const char	*opt_tz;	/* NULL: hello's timezone, else the machine's */
	const char	*opt_cafile;	/* --cafile: the CA to check the daemon against */
	bool		 opt_json;
	bool		 opt_tls;	/* --tls */
};
extern const char usage_text[];
extern const char help_text[];
int	 options_parse(int argc, char **argv, struct options *, int *first);
int	 timeout_parse(const char *, int64_t *ms);
cJSON	*request_build(const char *op, int argc, char **argv, char *err,
	    size_t errlen);
cJSON	*subscribe_build(int argc, char **argv);

/* ---- client-token.c: branchq token ---- */
int	 token_run(int argc, char **argv);

/* ---- client-conn.c: reading lines, the connection, a request and reply ---- */
/* A line reader over one file descriptor (the socket or stdin). */
struct linebuf {
	int	 lb_fd;
	struct ssl_st *lb_ssl;	/* the socket's TLS (--tls), else NULL */
	char	*lb_buf;
	size_t	 lb_len;	/* bytes held */
	size_t	 lb_cap;
	size_t	 lb_taken;	/* the line handed out last; dropped on the next take */
	size_t	 lb_scanned;	/* leading bytes known to hold no newline */
	bool	 lb_eof;
};

enum lb_result { LB_NONE, LB_LINE, LB_TOO_LONG };

struct client {
	char		 cl_addr[NI_MAXHOST + NI_MAXSERV + 4];	/* for messages */
	const char	*cl_timeout;		/* as given, for messages */
	int64_t		 cl_timeout_ms;		/* -1: wait for ever */
	struct linebuf	 cl_sock;
	long long	 cl_next_id;
	bool		 cl_json;		/* print raw lines */
	bool		 cl_show_events;	/* print events met while waiting */
	bool		 cl_prompt_shown;	/* shell: a prompt is on the screen */
	bool		 cl_prompt_erase;	/* shell: stdout is a tty */
	char		 cl_branch[64];		/* hello's "branch" */
	char		 cl_timezone[64];	/* hello's "timezone", "" if none */
	bool		 cl_tls;		/* --tls */
	const char	*cl_cafile;		/* --cafile, or NULL: the system's CAs */
};
void		 lb_init(struct linebuf *, int fd);
void		 lb_free(struct linebuf *);
enum lb_result	 lb_take(struct linebuf *, char **line);
/* One read: > 0 bytes, 0 nothing (lb_eof: the end; else a TLS record that
 * held no data), -1 an error (errno). */
ssize_t		 lb_fill(struct linebuf *);
int		 client_connect(struct client *, const char *addr);
void		 client_close(struct client *);
bool		 client_sort_line(struct client *, const char *line, cJSON **json);
/* Waits for the socket to have input: 1 ready (maybe already inside TLS), 0 timed out, -1 error. */
int		 wait_readable(struct linebuf *, int64_t deadline);
bool		 lb_buffered(const struct linebuf *);	/* TLS holds input poll() cannot see */
int		 client_roundtrip(struct client *, cJSON *req, char **raw,
		    cJSON **reply);
int		 client_request(struct client *, cJSON *req, bool *fatal);
int		 client_hello(struct client *, const struct options *, bool tell);

/* ---- client-print.c: text for people, replies, tables ---- */
#define TABLE_COLS	16

struct table {
	int		  tb_ncols;
	const char	 *tb_head[TABLE_COLS];
	bool		  tb_right[TABLE_COLS];	/* numbers line up on the right */
	char		**tb_cell;		/* tb_rows * tb_ncols, each allocated */
	size_t		  tb_rows;
};
extern const char *const reply_envelope[];
char	*escape_text(const char *, bool keep_lines);
char	*escape(const char *);
void	 number_format(double, char *buf, size_t len);
bool	 is_integer(const cJSON *);
char	*cell_text(const cJSON *, bool csv);	/* table (false) or CSV */
char	*text_of(const cJSON *);
char	*duration_text(const cJSON *);
/* RFC 3339 (UTC "Z" or an offset) -> time_t; -1 when it is not one. */
time_t	 rfc3339_parse(const char *);
/* Local times: the branch's zone once zone_set() (--tz, or hello's). */
enum time_style { LT_TABLE, LT_CSV, LT_AS_SENT };
int	 zone_set(const char *iana_name);	/* -1: no such zone here */
const char *zone_label(void);
char	*time_text(const cJSON *, enum time_style);
char	*yuan_text(const cJSON *);
void	 put_text(FILE *, const cJSON *);
void	 table_add(struct table *, char **cells);
void	 table_print(FILE *, const struct table *);
void	 table_free(struct table *);
int	 reply_print(struct client *, const char *raw, const cJSON *reply);

/* ---- client-report.c: supervisor reports as tables or CSV ---- */
enum report_format { RF_TABLE, RF_JSON, RF_CSV, RF__COUNT };
enum report_kind { RK_FOLLOWUPS, RK_SUMMARY, RK_COMPENSATION, RK__COUNT };

/* A report subcommand, parsed. */
struct report {
	enum report_kind	 rp_kind;
	enum report_format	 rp_format;
	bool			 rp_bom;	/* CSV: a UTF-8 byte-order mark first */
	bool			 rp_utc;	/* times as the daemon sends them */
	cJSON			*rp_req;
};
int	report_build(int argc, char **argv, bool json, struct report *,
	    char *err, size_t errlen);
int	report_request(struct client *, struct report *, bool *fatal);

/* ---- client-hq.c: branchq hq, head office's PostgreSQL (libpq) ---- */
int	hq_run(int argc, char **argv, bool json);

/* ---- client-watch.c: watch, the shell, and the events they show ---- */
extern volatile sig_atomic_t interrupted;
bool	is_event(const cJSON *);
void	event_show(struct client *, const char *raw, const cJSON *ev);
int	watch_run(struct client *, cJSON *req);
int	shell_run(struct client *);

#endif /* CLIENT_H */
