/*
 * branchq: the command-line client of branchqd.
 *
 * A standalone program that speaks the terminal protocol (PROTOCOL.md):
 * JSON objects, one per line, over TCP.  One request at a time on a blocking
 * socket; poll() only to honour the reply timeout and, in watch and the
 * shell, to show pushed events as they come.
 *
 * Exit status: 0 ok, 1 an error reply, 2 a usage or connection problem.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "names.h"

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

/* A line reader over one file descriptor (the socket or stdin). */
struct linebuf {
	int	 lb_fd;
	char	*lb_buf;
	size_t	 lb_len;	/* bytes held */
	size_t	 lb_cap;
	size_t	 lb_taken;	/* the line handed out last; dropped on the next take */
	size_t	 lb_scanned;	/* leading bytes known to hold no newline */
	bool	 lb_eof;
};

enum lb_result { LB_NONE, LB_LINE, LB_TOO_LONG };

struct options {
	const char	*opt_connect;
	const char	*opt_terminal;
	const char	*opt_token;
	const char	*opt_timeout;
	bool		 opt_json;
};

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
};

static volatile sig_atomic_t interrupted;

static const char *const reply_envelope[] = { "ok", "id", NULL };
static const char *const ticket_reply_skip[] = { "ok", "id", "ticket", NULL };
/* What the one-line ticket summary already says. */
static const char *const ticket_summary_keys[] = {
	"number", "lane", "status", "route_rule", "position",
	"estimated_wait_s", "window", "recalls", NULL
};
static const char *const snapshot_keys[] = {
	"ok", "id", "now", "self_service_available", "lanes", "windows", NULL
};

static const char usage_text[] =
"usage: branchq [options] OP [field=value ...]\n"
"       branchq [options] watch [TOPIC ...]\n"
"       branchq [options] report followups [--status open|overdue|all]\n"
"                                 [--limit N] [--format table|json|csv]\n"
"       branchq [options] report summary --from DATE [--to DATE]\n"
"                                 [--format table|json|csv]\n"
"       branchq [options] shell\n"
"       branchq --help\n";

static const char help_text[] =
"\n"
"options (and the environment variable each falls back to):\n"
"  --connect HOST:PORT  the daemon (BRANCHQ_CONNECT; default " CL_DEFAULT_ADDR ")\n"
"  --terminal ID        say hello as this terminal first (BRANCHQ_TERMINAL)\n"
"  --token T            the terminal's token (BRANCHQ_TOKEN)\n"
"  --json               print the raw reply (or event) lines\n"
"  --timeout S          seconds to wait for a reply (default " CL_DEFAULT_TIMEOUT
    "; 0: for ever)\n"
"\n"
"fields:\n"
"  name=value   JSON when value is a number, true, false, null, [...] or {...};\n"
"               otherwise a string (number=A012)\n"
"  name:=JSON   always JSON (note:='\"a quoted string\"')\n"
"  name==text   always a string (phone==13800138000)\n"
"  a.b=value    nested objects: flags.vip=true gives {\"flags\":{\"vip\":true}}\n"
"  id=N         for complaint ops: the complaint id (also the request id)\n"
"\n"
"watch prints pushed events (default topics: calls queue) until the\n"
"connection closes or ^C.  shell reads \"OP field=value ...\" lines from stdin\n"
"and prints replies and events as they come; \"quit\" or end of input ends it.\n"
"\n"
"report (a supervisor's) sends report.followups or report.summary and prints\n"
"a table (default), the raw reply (--format json, as --json) or CSV with a\n"
"header row (--format csv; the summary as section,key,metric,value rows).\n"
"--status defaults to open, --limit to the daemon's 1000.  DATE is a business\n"
"date, YYYY-MM-DD; --to defaults to --from (one day).\n"
"\n"
"examples:\n"
"  branchq ping\n"
"  branchq --terminal K01 --token kiosk-demo ticket.issue \\\n"
"      service=cash_withdrawal amount_fen=2500000 flags.vip=true\n"
"  branchq --terminal T01 --token teller1-demo window.open window=3 \\\n"
"      lanes='[\"counter\"]'\n"
"  branchq --terminal D01 --token display-demo watch calls\n"
"  branchq --terminal S01 --token supervisor-demo report followups \\\n"
"      --status overdue\n"
"  branchq --terminal S01 --token supervisor-demo report summary \\\n"
"      --from 2026-11-01 --to 2026-11-30 --format csv\n"
"\n"
"exit status: 0 ok, 1 error reply, 2 usage or connection problem\n";

static const char shell_help_text[] =
"OP [field=value ...]   send a request, e.g. ticket.call_next\n"
"                       or ticket.start number=A001\n"
"watch [TOPIC ...]      subscribe (default: calls queue); events show as they come\n"
"report followups|summary [--option value ...]\n"
"                       a supervisor's report, as on the command line\n"
"help                   this text\n"
"quit                   leave (so does end of input)\n"
"Quote as in sh: lanes='[\"counter\",\"vip\"]' note=\"customer waited long\"\n";

/* ---- small helpers ---- */

static void
cl_vwarnx(const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("branchq: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2)))
cl_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
}

/* A connection problem or a reply we cannot read: say what failed. */
static int __attribute__((format(printf, 1, 2)))
cl_fail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
	return CL_EXIT_FAILURE;
}

/* The user's mistake: what it was, and where to read more. */
static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cl_vwarnx(fmt, ap);
	va_end(ap);
	fputs("(branchq --help tells how to use it)\n", stderr);
	return CL_EXIT_FAILURE;
}

static void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL) {
		cl_warnx("out of memory");
		exit(CL_EXIT_FAILURE);
	}
	return p;
}

static void *
xrealloc(void *old, size_t size)
{
	void	*p;

	if ((p = realloc(old, size == 0 ? 1 : size)) == NULL) {
		cl_warnx("out of memory");
		exit(CL_EXIT_FAILURE);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t	 len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

static char * __attribute__((format(printf, 1, 2)))
xprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	s = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return s;
}

static bool
name_in(const char *name, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(name, *list) == 0)
			return true;
	}
	return false;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t	slen = strlen(s), xlen = strlen(suffix);

	return slen >= xlen && strcmp(s + slen - xlen, suffix) == 0;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -1 (no deadline) stays -1. */
static int64_t
deadline_after(int64_t ms)
{
	return ms < 0 ? -1 : now_ms() + ms;
}

static int
poll_timeout(int64_t deadline)
{
	int64_t	left;

	if (deadline < 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

static void
on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- text for people: nothing from the wire reaches the tty unescaped ---- */

/*
 * Control bytes (C0, DEL, and C1 in UTF-8) become escapes; with keep_lines,
 * tab, CR and LF stay as they are (CSV quotes them).  Caller frees.
 */
static char *
escape_text(const char *s, bool keep_lines)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *w;

	w = out = xmalloc(strlen(s) * 8 + 1);
	for (; *p != '\0'; p++) {
		if (keep_lines && (*p == '\n' || *p == '\r' || *p == '\t'))
			*w++ = (char)*p;
		else if (*p == '\n')
			w += sprintf(w, "\\n");
		else if (*p == '\t')
			w += sprintf(w, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			w += sprintf(w, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			w += sprintf(w, "\\u%04x", p[1]);
			p++;
		} else
			*w++ = (char)*p;
	}
	*w = '\0';
	return out;
}

/* Text for the terminal: every control byte escaped.  Caller frees. */
static char *
escape(const char *s)
{
	return escape_text(s, false);
}

static void
number_format(double d, char *buf, size_t len)
{
	if (d > -1e15 && d < 1e15 && (double)(long long)d == d)
		snprintf(buf, len, "%lld", (long long)d);
	else
		snprintf(buf, len, "%.15g", d);
}

/* 540 -> "9m00s", 45 -> "45s", 3725 -> "1h02m05s". */
static void
duration_format(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%lldh%02lldm%02llds", s / 3600,
		    s / 60 % 60, s % 60);
}

static bool
is_integer(const cJSON *item)
{
	double	d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	return d > -9e15 && d < 9e15 && (double)(long long)d == d;
}

/* Any value as one line of text; "-" for null or missing.  Caller frees. */
static char *
text_of(const cJSON *item)
{
	char	 buf[64], *json, *s;

	if (item == NULL || cJSON_IsNull(item))
		return xstrdup("-");
	if (cJSON_IsString(item) && item->valuestring != NULL)
		return item->valuestring[0] == '\0' ? xstrdup("\"\"") :
		    escape(item->valuestring);
	if (cJSON_IsNumber(item)) {
		number_format(item->valuedouble, buf, sizeof buf);
		return xstrdup(buf);
	}
	if (cJSON_IsBool(item))
		return xstrdup(cJSON_IsTrue(item) ? "true" : "false");
	if ((json = cJSON_PrintUnformatted(item)) == NULL)
		return xstrdup("?");
	s = escape(json);
	cJSON_free(json);
	return s;
}

/* A duration in seconds as "9m00s"; anything else as text_of().  Caller frees. */
static char *
duration_text(const cJSON *item)
{
	char	buf[64];

	if (!cJSON_IsNumber(item) || item->valuedouble < 0 ||
	    item->valuedouble > 9e15)
		return text_of(item);
	duration_format((long long)(item->valuedouble + 0.5), buf, sizeof buf);
	return xstrdup(buf);
}

/*
 * Fen as yuan, "12345" -> "123.45", in integers so no cent is lost to a
 * double; NULL when item is not a whole number.  Caller frees.
 */
static char *
yuan_text(const cJSON *item)
{
	long long	v;

	if (!is_integer(item))
		return NULL;
	v = (long long)item->valuedouble;
	return xprintf("%s%lld.%02lld", v < 0 ? "-" : "", llabs(v) / 100,
	    llabs(v) % 100);
}

/* Adds "(CNY 25000.00)" to money and "(9m00s)" to longer durations. */
static char *
value_text(const char *name, const cJSON *item)
{
	char		 dur[64], *plain, *s, *yuan;
	long long	 v;

	plain = text_of(item);
	if (name == NULL || !is_integer(item))
		return plain;
	v = (long long)item->valuedouble;
	if (has_suffix(name, "_fen")) {
		yuan = yuan_text(item);
		s = xprintf("%s (CNY %s)", plain, yuan);
		free(yuan);
	} else if (has_suffix(name, "_s") && v >= 60) {
		duration_format(v, dur, sizeof dur);
		s = xprintf("%s (%s)", plain, dur);
	} else
		return plain;
	free(plain);
	return s;
}

static void
put_text(FILE *fp, const cJSON *item)
{
	char	*s = text_of(item);

	fputs(s, fp);
	free(s);
}

/* ---- line reading ---- */

static void
lb_init(struct linebuf *lb, int fd)
{
	memset(lb, 0, sizeof *lb);
	lb->lb_fd = fd;
	lb->lb_cap = 4096;
	lb->lb_buf = xmalloc(lb->lb_cap);
}

static void
lb_free(struct linebuf *lb)
{
	free(lb->lb_buf);
	lb->lb_buf = NULL;
}

/*
 * Hands out the next whole line (NUL-terminated, without "\n" or "\r\n"),
 * valid until the next lb_take() or lb_fill().  At end of input a last line
 * without its newline counts too.
 */
static enum lb_result
lb_take(struct linebuf *lb, char **line)
{
	char	*nl;
	size_t	 len;

	if (lb->lb_taken > 0) {
		lb->lb_len -= lb->lb_taken;
		memmove(lb->lb_buf, lb->lb_buf + lb->lb_taken, lb->lb_len);
		lb->lb_taken = 0;
		lb->lb_scanned = 0;
	}
	nl = memchr(lb->lb_buf + lb->lb_scanned, '\n',
	    lb->lb_len - lb->lb_scanned);
	if (nl == NULL) {
		lb->lb_scanned = lb->lb_len;
		if (lb->lb_len > CL_MAX_LINE)
			return LB_TOO_LONG;
		if (!lb->lb_eof || lb->lb_len == 0)
			return LB_NONE;
		nl = lb->lb_buf + lb->lb_len;	/* room kept by lb_fill() */
		lb->lb_taken = lb->lb_len;
	} else
		lb->lb_taken = (size_t)(nl - lb->lb_buf) + 1;
	len = (size_t)(nl - lb->lb_buf);
	if (len > CL_MAX_LINE)
		return LB_TOO_LONG;
	*nl = '\0';
	if (len > 0 && lb->lb_buf[len - 1] == '\r')
		lb->lb_buf[len - 1] = '\0';
	*line = lb->lb_buf;
	return LB_LINE;
}

/* One read(): > 0 bytes read, 0 end of input, -1 error (errno). */
static ssize_t
lb_fill(struct linebuf *lb)
{
	ssize_t	n;

	/* lb_take() has said no line is complete, so lb_len <= CL_MAX_LINE. */
	if (lb->lb_cap - lb->lb_len < 2) {
		lb->lb_cap *= 2;
		if (lb->lb_cap > CL_MAX_LINE + 2)
			lb->lb_cap = CL_MAX_LINE + 2;
		lb->lb_buf = xrealloc(lb->lb_buf, lb->lb_cap);
	}
	/* Keep one byte for the NUL of a last line without newline. */
	n = read(lb->lb_fd, lb->lb_buf + lb->lb_len, lb->lb_cap - lb->lb_len - 1);
	if (n > 0)
		lb->lb_len += (size_t)n;
	else if (n == 0)
		lb->lb_eof = true;
	return n;
}

static bool
is_blank(const char *s)
{
	return s[strspn(s, " \t")] == '\0';
}

/* ---- building a request from field=value words ---- */

/* JSON's number grammar, strictly: "007" and "1." are not numbers. */
static bool
is_json_number(const char *s)
{
#define DIGIT(c)	((c) >= '0' && (c) <= '9')
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (DIGIT(*s)) {
		while (DIGIT(*s))
			s++;
	} else
		return false;
	if (*s == '.') {
		if (!DIGIT(s[1]))
			return false;
		for (s++; DIGIT(*s); s++)
			;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!DIGIT(*s))
			return false;
		while (DIGIT(*s))
			s++;
	}
	return *s == '\0';
#undef DIGIT
}

/*
 * The value of name=value (forced: name:=JSON).  Numbers go out exactly as
 * written (a raw item), so no digit is lost to a double.  NULL when the text
 * is not JSON.
 */
static cJSON *
value_parse_json(const char *text, bool forced)
{
	size_t	skip = strspn(text, " \t");

	if (is_json_number(text))
		return cJSON_CreateRaw(text);
	if (strcmp(text, "true") == 0)
		return cJSON_CreateTrue();
	if (strcmp(text, "false") == 0)
		return cJSON_CreateFalse();
	if (strcmp(text, "null") == 0)
		return cJSON_CreateNull();
	if (forced || text[skip] == '[' || text[skip] == '{')
		return cJSON_ParseWithOpts(text, NULL, 1);
	return NULL;
}

/* Puts value at a dotted key, making the objects on the way. */
static int
field_set(cJSON *req, char *key, cJSON *value, const char *arg,
    char *err, size_t errlen)
{
	cJSON	*obj = req, *child;
	char	*seg, *dot;

	for (seg = key; (dot = strchr(seg, '.')) != NULL; seg = dot + 1) {
		*dot = '\0';
		if (*seg == '\0')
			break;
		if ((child = cJSON_GetObjectItemCaseSensitive(obj, seg)) == NULL)
			child = cJSON_AddObjectToObject(obj, seg);
		else if (!cJSON_IsObject(child)) {
			snprintf(err, errlen, "%s: %s is already set and is not "
			    "an object", arg, seg);
			return -1;
		}
		obj = child;
	}
	if (*seg == '\0') {
		snprintf(err, errlen, "%s: empty field name", arg);
		return -1;
	}
	if (obj == req && strcmp(seg, "op") == 0) {
		snprintf(err, errlen, "%s: the operation is the first word, "
		    "not a field", arg);
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, seg) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, seg, value);
	else
		cJSON_AddItemToObject(obj, seg, value);
	return 0;
}

/* name=value, name:=JSON or name==text. */
static int
field_add(cJSON *req, const char *arg, char *err, size_t errlen)
{
	const char	*eq = strchr(arg, '='), *text;
	size_t		 keylen;
	bool		 force_json = false, force_string = false;
	cJSON		*value = NULL;
	char		*key;
	int		 rc;

	if (eq == NULL) {
		snprintf(err, errlen, "expected field=value, got \"%s\"", arg);
		return -1;
	}
	keylen = (size_t)(eq - arg);
	text = eq + 1;
	if (keylen > 0 && arg[keylen - 1] == ':') {
		force_json = true;
		keylen--;
	} else if (*text == '=') {
		force_string = true;
		text++;
	}
	if (!force_string)
		value = value_parse_json(text, force_json);
	if (value == NULL && force_json) {
		snprintf(err, errlen, "%s: not valid JSON", arg);
		return -1;
	}
	if (value == NULL)
		value = cJSON_CreateString(text);
	key = xmalloc(keylen + 1);
	memcpy(key, arg, keylen);
	key[keylen] = '\0';
	if ((rc = field_set(req, key, value, arg, err, errlen)) != 0)
		cJSON_Delete(value);
	free(key);
	return rc;
}

/* {"op":op, fields...}, or NULL with err set.  Caller frees. */
static cJSON *
request_build(const char *op, int argc, char **argv, char *err, size_t errlen)
{
	cJSON	*req;
	int	 i;

	if (*op == '\0' || strchr(op, '=') != NULL) {
		snprintf(err, errlen, "expected an operation before the fields, "
		    "got \"%s\"", op);
		return NULL;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", op);
	for (i = 0; i < argc; i++) {
		if (field_add(req, argv[i], err, errlen) != 0) {
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

/* {"op":"subscribe","topics":[...]}, by default calls and queue. */
static cJSON *
subscribe_build(int argc, char **argv)
{
	const char *const defaults[] = {
		topic_names[TOPIC_CALLS], topic_names[TOPIC_QUEUE]
	};
	cJSON	*req, *topics;
	int	 i;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "subscribe");
	topics = cJSON_AddArrayToObject(req, "topics");
	for (i = 0; i < (argc > 0 ? argc : 2); i++) {
		cJSON_AddItemToArray(topics,
		    cJSON_CreateString(argc > 0 ? argv[i] : defaults[i]));
	}
	return req;
}

/* ---- printing replies ---- */

static void	tree_member(FILE *, const cJSON *, int);

/* Members of obj as "key: value" lines; the first after "- " if dash. */
static int
tree_members(FILE *fp, const cJSON *obj, int indent, bool dash,
    const char *const *skip)
{
	const cJSON	*m;
	int		 n = 0;

	cJSON_ArrayForEach(m, obj) {
		if (m->string == NULL || name_in(m->string, skip))
			continue;
		if (dash && n == 0)
			fprintf(fp, "%*s- ", indent - 2, "");
		else
			fprintf(fp, "%*s", indent, "");
		tree_member(fp, m, indent);
		n++;
	}
	return n;
}

static bool
all_scalars(const cJSON *array)
{
	const cJSON	*item;

	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsArray(item) || cJSON_IsObject(item))
			return false;
	}
	return true;
}

/* The rest of a "key:" line for an array: inline, or "- " items below. */
static void
tree_array(FILE *fp, const cJSON *array, int indent)
{
	const cJSON	*item;
	bool		 first = true;

	if (all_scalars(array)) {
		fputs(array->child == NULL ? " []" : " ", fp);
		cJSON_ArrayForEach(item, array) {
			if (!first)
				fputs(", ", fp);
			put_text(fp, item);
			first = false;
		}
		fputc('\n', fp);
		return;
	}
	fputc('\n', fp);
	cJSON_ArrayForEach(item, array) {
		if (cJSON_IsObject(item) && item->child != NULL)
			tree_members(fp, item, indent + 4, true, NULL);
		else {
			fprintf(fp, "%*s- ", indent + 2, "");
			put_text(fp, item);
			fputc('\n', fp);
		}
	}
}

/* "key: value", or "key:" and what it holds below; indentation done. */
static void
tree_member(FILE *fp, const cJSON *m, int indent)
{
	char	*s;

	s = escape(m->string);
	fprintf(fp, "%s:", s);
	free(s);
	if (cJSON_IsObject(m) && m->child != NULL) {
		fputc('\n', fp);
		tree_members(fp, m, indent + 2, false, NULL);
	} else if (cJSON_IsArray(m))
		tree_array(fp, m, indent);
	else {
		s = value_text(m->string, m);
		fprintf(fp, " %s\n", s);
		free(s);
	}
}

/* "A012  counter  waiting  position 3  est. wait 9m00s  rule over_threshold" */
static void
ticket_summary(FILE *fp, const cJSON *t)
{
	const cJSON	*status = cJSON_GetObjectItemCaseSensitive(t, "status");
	const cJSON	*item;
	char		*s;

	put_text(fp, cJSON_GetObjectItemCaseSensitive(t, "number"));
	if (cJSON_IsString(status) &&
	    strcmp(status->valuestring, "diverted") == 0)
		fputs("  diverted to self-service", fp);
	else {
		fputs("  ", fp);
		put_text(fp, cJSON_GetObjectItemCaseSensitive(t, "lane"));
		fputs("  ", fp);
		put_text(fp, status);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "position");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  position ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "estimated_wait_s");
	if (item != NULL && !cJSON_IsNull(item)) {
		s = duration_text(item);
		fprintf(fp, "  est. wait %s", s);
		free(s);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "window");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  window ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "recalls");
	if (cJSON_IsNumber(item) && item->valuedouble > 0) {
		fputs("  recalled ", fp);
		put_text(fp, item);
	}
	item = cJSON_GetObjectItemCaseSensitive(t, "route_rule");
	if (item != NULL && !cJSON_IsNull(item)) {
		fputs("  rule ", fp);
		put_text(fp, item);
	}
	fputc('\n', fp);
}

/* A reply with a "ticket": the summary, then the rest indented below. */
static void
ticket_reply_print(FILE *fp, const cJSON *reply, const cJSON *ticket)
{
	if (cJSON_IsNull(ticket))
		fputs("no ticket waiting\n", fp);
	else {
		ticket_summary(fp, ticket);
		tree_members(fp, ticket, 2, false, ticket_summary_keys);
	}
	tree_members(fp, reply, 2, false, ticket_reply_skip);
}

/* ---- tables: queue.snapshot, and the reports below ---- */

#define TABLE_COLS	10

struct table {
	int		  tb_ncols;
	const char	 *tb_head[TABLE_COLS];
	bool		  tb_right[TABLE_COLS];	/* numbers line up on the right */
	char		**tb_cell;		/* tb_rows * tb_ncols, each allocated */
	size_t		  tb_rows;
};

/* Takes ownership of the cells. */
static void
table_add(struct table *tb, char **cells)
{
	size_t	base = tb->tb_rows * (size_t)tb->tb_ncols;

	tb->tb_cell = xrealloc(tb->tb_cell,
	    (base + (size_t)tb->tb_ncols) * sizeof *tb->tb_cell);
	memcpy(tb->tb_cell + base, cells, (size_t)tb->tb_ncols * sizeof *cells);
	tb->tb_rows++;
}

static void
table_row_print(FILE *fp, const struct table *tb, const char *const *row,
    const int *width)
{
	int	c;

	for (c = 0; c < tb->tb_ncols; c++) {
		if (c == tb->tb_ncols - 1 && !tb->tb_right[c])
			fputs(row[c], fp);
		else
			fprintf(fp, tb->tb_right[c] ? "%*s" : "%-*s", width[c],
			    row[c]);
		fputs(c == tb->tb_ncols - 1 ? "\n" : "  ", fp);
	}
}

static void
table_print(FILE *fp, const struct table *tb)
{
	int	width[TABLE_COLS], c;
	size_t	r, len;

	for (c = 0; c < tb->tb_ncols; c++) {
		width[c] = (int)strlen(tb->tb_head[c]);
		for (r = 0; r < tb->tb_rows; r++) {
			len = strlen(tb->tb_cell[r * (size_t)tb->tb_ncols + c]);
			if (len > (size_t)width[c] && len < 1000)
				width[c] = (int)len;
		}
	}
	table_row_print(fp, tb, tb->tb_head, width);
	for (r = 0; r < tb->tb_rows; r++) {
		table_row_print(fp, tb,
		    (const char *const *)tb->tb_cell + r * (size_t)tb->tb_ncols,
		    width);
	}
}

static void
table_free(struct table *tb)
{
	size_t	i;

	for (i = 0; i < tb->tb_rows * (size_t)tb->tb_ncols; i++)
		free(tb->tb_cell[i]);
	free(tb->tb_cell);
}

static void
lane_row_add(struct table *tb, const char *name, const cJSON *lane)
{
	char	*cells[4];

	cells[0] = escape(name);
	cells[1] = text_of(cJSON_GetObjectItemCaseSensitive(lane, "waiting"));
	cells[2] = duration_text(cJSON_GetObjectItemCaseSensitive(lane,
	    "oldest_wait_s"));
	cells[3] = text_of(cJSON_GetObjectItemCaseSensitive(lane,
	    "open_windows"));
	table_add(tb, cells);
}

static void
lanes_table_print(FILE *fp, const cJSON *lanes)
{
	struct table	 tb = { 4, { "LANE", "WAITING", "OLDEST WAIT",
			    "OPEN WINDOWS" }, { false, true, true, true },
			    NULL, 0 };
	const cJSON	*lane;
	int		 i;

	/* The lanes in the order a customer meets them, then any others. */
	for (i = 0; lane_names[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_names[i]);
		if (lane != NULL)
			lane_row_add(&tb, lane_names[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_names))
			lane_row_add(&tb, lane->string, lane);
	}
	table_print(fp, &tb);
	table_free(&tb);
}

/* ["counter","vip"] -> "counter,vip".  Caller frees. */
static char *
lanes_text(const cJSON *lanes)
{
	const cJSON	*item;
	char		*s, *part, *joined;

	if (!cJSON_IsArray(lanes) || !all_scalars(lanes))
		return text_of(lanes);
	s = xstrdup("");
	cJSON_ArrayForEach(item, lanes) {
		part = text_of(item);
		joined = xprintf("%s%s%s", s, *s == '\0' ? "" : ",", part);
		free(part);
		free(s);
		s = joined;
	}
	return s;
}

/* The current ticket as "A012 serving".  Caller frees. */
static char *
current_text(const cJSON *current)
{
	char	*number, *status, *s;

	if (!cJSON_IsObject(current))
		return text_of(current);
	number = text_of(cJSON_GetObjectItemCaseSensitive(current, "number"));
	status = text_of(cJSON_GetObjectItemCaseSensitive(current, "status"));
	s = xprintf("%s %s", number, status);
	free(number);
	free(status);
	return s;
}

static void
windows_table_print(FILE *fp, const cJSON *windows)
{
	struct table	 tb = { 5, { "WINDOW", "STAFF", "STATE", "LANES",
			    "CURRENT" }, { true, false, false, false, false },
			    NULL, 0 };
	const cJSON	*w;
	char		*cells[5];

	cJSON_ArrayForEach(w, windows) {
		cells[0] = text_of(cJSON_GetObjectItemCaseSensitive(w, "window"));
		cells[1] = text_of(cJSON_GetObjectItemCaseSensitive(w, "staff"));
		cells[2] = text_of(cJSON_GetObjectItemCaseSensitive(w, "state"));
		cells[3] = lanes_text(cJSON_GetObjectItemCaseSensitive(w,
		    "lanes"));
		cells[4] = current_text(cJSON_GetObjectItemCaseSensitive(w,
		    "current"));
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("no windows open\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

static bool
is_snapshot(const cJSON *reply)
{
	return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(reply, "lanes")) &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(reply, "windows"));
}

static void
snapshot_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*item;

	if ((item = cJSON_GetObjectItemCaseSensitive(reply, "now")) != NULL) {
		fputs("now: ", fp);
		put_text(fp, item);
		fputc('\n', fp);
	}
	item = cJSON_GetObjectItemCaseSensitive(reply, "self_service_available");
	if (cJSON_IsBool(item)) {
		fprintf(fp, "self-service: %s\n",
		    cJSON_IsTrue(item) ? "available" : "unavailable");
	}
	fputc('\n', fp);
	lanes_table_print(fp, cJSON_GetObjectItemCaseSensitive(reply, "lanes"));
	fputc('\n', fp);
	windows_table_print(fp,
	    cJSON_GetObjectItemCaseSensitive(reply, "windows"));
	tree_members(fp, reply, 0, false, snapshot_keys);
}

static void
ok_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*ticket;

	ticket = cJSON_GetObjectItemCaseSensitive(reply, "ticket");
	if (is_snapshot(reply))
		snapshot_print(fp, reply);
	else if (cJSON_IsObject(ticket) || cJSON_IsNull(ticket))
		ticket_reply_print(fp, reply, ticket);
	else if (tree_members(fp, reply, 0, false, reply_envelope) == 0)
		fputs("ok\n", fp);
}

/* "error: <code>: <message>" on stderr, whatever shape the error has. */
static void
error_print(const cJSON *reply)
{
	const cJSON	*error, *code, *message;
	char		*c, *m;

	error = cJSON_GetObjectItemCaseSensitive(reply, "error");
	code = cJSON_GetObjectItemCaseSensitive(error, "code");
	message = cJSON_GetObjectItemCaseSensitive(error, "message");
	fflush(stdout);
	if (!cJSON_IsObject(error)) {
		c = text_of(error);
		fprintf(stderr, "error: %s\n", c);
		free(c);
		return;
	}
	c = cJSON_IsString(code) ? text_of(code) : xstrdup("unknown");
	m = message != NULL ? text_of(message) : xstrdup("(no message)");
	fprintf(stderr, "error: %s: %s\n", c, m);
	free(c);
	free(m);
}

/* A reply we cannot read, named with its first bytes: status 2. */
static int
reply_odd(struct client *cl, const char *what, const char *raw)
{
	char	head[81], *s;

	snprintf(head, sizeof head, "%s", raw);
	s = escape(head);
	cl_warnx("%s sent %s: %s%s", cl->cl_addr, what, s,
	    strlen(raw) >= sizeof head ? "..." : "");
	free(s);
	return CL_EXIT_FAILURE;
}

/* Prints a reply (raw with --json); returns the exit status it means. */
static int
reply_print(struct client *cl, const char *raw, const cJSON *reply)
{
	const cJSON	*ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");

	if (cl->cl_json) {
		printf("%s\n", raw);
		fflush(stdout);
	}
	if (!cJSON_IsObject(reply))
		return reply_odd(cl, "a line that is not a JSON object", raw);
	if (!cJSON_IsBool(ok))
		return reply_odd(cl, "a reply without \"ok\"", raw);
	if (cJSON_IsFalse(ok)) {
		if (!cl->cl_json)
			error_print(reply);
		return CL_EXIT_REPLY;
	}
	if (!cl->cl_json) {
		ok_print(stdout, reply);
		fflush(stdout);
	}
	return CL_EXIT_OK;
}

/* ---- printing events, one line each ---- */

/* RFC 3339 (UTC "Z" or an offset) -> time_t; -1 when it is not one. */
static time_t
rfc3339_parse(const char *s)
{
	struct tm	 tm;
	int		 n = 0, oh = 0, om = 0;
	time_t		 t;
	const char	*p;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n == 0)
		return -1;
	p = s + n;
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
		return -1;
	else if (*p != '+' && *p != '-' && strcmp(p, "Z") != 0 &&
	    strcmp(p, "z") != 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	return *p == '-' ? t + (oh * 60 + om) * 60 : t - (oh * 60 + om) * 60;
}

/* "08:15:02", local time, of the event's "at" (else of now). */
static void
event_stamp(FILE *fp, const cJSON *ev)
{
	const cJSON	*at = cJSON_GetObjectItemCaseSensitive(ev, "at");
	time_t		 t = -1;
	struct tm	 tm;
	char		 buf[16];

	if (cJSON_IsString(at))
		t = rfc3339_parse(at->valuestring);
	if (t == -1)
		t = time(NULL);
	localtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%H:%M:%S", &tm);
	fprintf(fp, "%s  ", buf);
}

/* "A012 -> window 3", "(recall)" on a recall. */
static void
event_called(FILE *fp, const cJSON *ev)
{
	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "number"));
	fputs(" -> window ", fp);
	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "window"));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "recall")))
		fputs("  (recall)", fp);
}

static void
event_lane(FILE *fp, const char *name, const cJSON *lane)
{
	const cJSON	*oldest;
	char		*s;

	s = escape(name);
	fprintf(fp, "  %s ", s);
	free(s);
	if (!cJSON_IsObject(lane)) {
		put_text(fp, lane);
		return;
	}
	put_text(fp, cJSON_GetObjectItemCaseSensitive(lane, "waiting"));
	oldest = cJSON_GetObjectItemCaseSensitive(lane, "oldest_wait_s");
	if (cJSON_IsNumber(oldest)) {
		s = duration_text(oldest);
		fprintf(fp, " (oldest %s)", s);
		free(s);
	}
}

/* "queue  self_service 0  express 0  counter 3 (oldest 4m10s)  vip 0" */
static void
event_queue(FILE *fp, const cJSON *ev)
{
	const cJSON	*lanes = cJSON_GetObjectItemCaseSensitive(ev, "lanes");
	const cJSON	*lane;
	int		 i;

	fputs("queue", fp);
	for (i = 0; lane_names[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_names[i]);
		if (lane != NULL)
			event_lane(fp, lane_names[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_names))
			event_lane(fp, lane->string, lane);
	}
}

/* Any other event: its name, then its fields as name=value. */
static void
event_generic(FILE *fp, const cJSON *ev)
{
	const cJSON	*m;
	char		*name, *value;

	put_text(fp, cJSON_GetObjectItemCaseSensitive(ev, "event"));
	cJSON_ArrayForEach(m, ev) {
		if (m->string == NULL || strcmp(m->string, "event") == 0 ||
		    strcmp(m->string, "at") == 0)
			continue;
		name = escape(m->string);
		value = text_of(m);
		fprintf(fp, "  %s=%s", name, value);
		free(name);
		free(value);
	}
}

static const struct event_format {
	const char	*ef_name;
	void		(*ef_print)(FILE *, const cJSON *);
} event_formats[] = {
	{ "ticket.called", event_called },
	{ "queue.changed", event_queue },
};

static void
event_print(FILE *fp, const cJSON *ev)
{
	const cJSON	*name = cJSON_GetObjectItemCaseSensitive(ev, "event");
	size_t		 i;

	event_stamp(fp, ev);
	for (i = 0; i < sizeof event_formats / sizeof event_formats[0]; i++) {
		if (cJSON_IsString(name) &&
		    strcmp(name->valuestring, event_formats[i].ef_name) == 0) {
			event_formats[i].ef_print(fp, ev);
			fputc('\n', fp);
			return;
		}
	}
	event_generic(fp, ev);
	fputc('\n', fp);
}

/* An event, raw or readable, in and around the shell's prompt. */
static void
event_show(struct client *cl, const char *raw, const cJSON *ev)
{
	if (cl->cl_prompt_shown && cl->cl_prompt_erase)
		fputs("\r\033[K", stdout);
	else if (cl->cl_prompt_shown)
		fputc('\n', stdout);
	if (cl->cl_json)
		printf("%s\n", raw);
	else
		event_print(stdout, ev);
	if (cl->cl_prompt_shown)
		fputs(CL_PROMPT, stdout);
	fflush(stdout);
}

static bool
is_event(const cJSON *json)
{
	return cJSON_IsObject(json) &&
	    cJSON_GetObjectItemCaseSensitive(json, "event") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(json, "ok") == NULL;
}

/* ---- the connection ---- */

/* "host:port", "[v6]:port", "host" or a bare IPv6 address. */
static int
addr_split(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*colon = strrchr(addr, ':'), *close;
	size_t		 len;

	snprintf(port, portlen, "%s", CL_DEFAULT_PORT);
	if (addr[0] == '[') {
		if ((close = strchr(addr, ']')) == NULL ||
		    (close[1] != '\0' && close[1] != ':'))
			return -1;
		len = (size_t)(close - addr - 1);
		if (close[1] == ':')
			snprintf(port, portlen, "%s", close + 2);
	} else if (colon != NULL && strchr(addr, ':') == colon) {
		len = (size_t)(colon - addr);
		snprintf(port, portlen, "%s", colon + 1);
	} else
		len = strlen(addr);
	if (len == 0 || len >= hostlen || *port == '\0')
		return -1;
	memcpy(host, addr + (addr[0] == '[' ? 1 : 0), len);
	host[len] = '\0';
	return 0;
}

/* connect() that gives up after timeout_ms (-1: the system's own limit). */
static int
connect_timed(int fd, const struct sockaddr *sa, socklen_t salen,
    int64_t timeout_ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	int		flags, err = 0, rc;
	socklen_t	len = sizeof err;

	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		while ((rc = poll(&pfd, 1, poll_timeout(deadline_after(
		    timeout_ms)))) == -1 && errno == EINTR)
			;
		if (rc == 0)
			err = ETIMEDOUT;
		else if (rc == -1)
			err = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
		if (err != 0) {
			errno = err;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

static int
socket_open(const struct addrinfo *ai, int64_t timeout_ms)
{
	struct timeval	tv;
	int		fd, saved;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		return -1;
	if (connect_timed(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* A daemon that stops reading must not hang us in send() either. */
	if (timeout_ms > 0) {
		tv.tv_sec = (time_t)(timeout_ms / 1000);
		tv.tv_usec = (suseconds_t)(timeout_ms % 1000 * 1000);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

static int
client_connect(struct client *cl, const char *addr)
{
	char		 host[NI_MAXHOST], port[NI_MAXSERV];
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, rc;

	if (addr_split(addr, host, sizeof host, port, sizeof port) != 0)
		return usage_error("bad address \"%s\": expected HOST:PORT", addr);
	snprintf(cl->cl_addr, sizeof cl->cl_addr,
	    strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		return cl_fail("cannot connect to %s: %s", cl->cl_addr,
		    gai_strerror(rc));
	}
	errno = ECONNREFUSED;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = socket_open(ai, cl->cl_timeout_ms);
	rc = errno;
	freeaddrinfo(res);
	if (fd == -1)
		return cl_fail("cannot connect to %s: %s", cl->cl_addr, strerror(rc));
	lb_init(&cl->cl_sock, fd);
	return CL_EXIT_OK;
}

static void
client_close(struct client *cl)
{
	if (cl->cl_sock.lb_buf == NULL)
		return;
	close(cl->cl_sock.lb_fd);
	lb_free(&cl->cl_sock);
}

/* Sends req as one line, with an "id" unless the fields gave one. */
static int
client_send(struct client *cl, cJSON *req)
{
	char	*line, *p;
	size_t	 len;
	ssize_t	 n;

	if (cJSON_GetObjectItemCaseSensitive(req, "id") == NULL)
		cJSON_AddNumberToObject(req, "id", (double)cl->cl_next_id++);
	if ((line = cJSON_PrintUnformatted(req)) == NULL)
		return cl_fail("cannot format the request");
	p = xprintf("%s\n", line);
	cJSON_free(line);
	for (len = strlen(p), line = p; len > 0; line += n, len -= (size_t)n) {
		n = send(cl->cl_sock.lb_fd, line, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n == -1) {
			free(p);
			return cl_fail("cannot send to %s: %s", cl->cl_addr,
			    strerror(errno));
		}
	}
	free(p);
	return CL_EXIT_OK;
}

/*
 * One line from the daemon: an event is shown (when wanted) and dropped;
 * anything else is handed back as the reply (*json may be NULL if the line
 * is not JSON).  Returns whether it was a reply.
 */
static bool
client_sort_line(struct client *cl, const char *line, cJSON **json)
{
	cJSON	*parsed;

	if (is_blank(line))
		return false;
	parsed = cJSON_Parse(line);
	if (!is_event(parsed)) {
		*json = parsed;
		return true;
	}
	if (cl->cl_show_events)
		event_show(cl, line, parsed);
	cJSON_Delete(parsed);
	return false;
}

/* Waits for the fd to be readable: 1 ready, 0 timed out, -1 error. */
static int
wait_readable(int fd, int64_t deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int		rc;

	while ((rc = poll(&pfd, 1, poll_timeout(deadline))) == -1) {
		if (errno != EINTR || interrupted)
			return -1;
	}
	return rc;
}

/* The next reply, *raw valid until the next read.  Caller frees *reply. */
static int
client_wait_reply(struct client *cl, char **raw, cJSON **reply)
{
	int64_t	 deadline = deadline_after(cl->cl_timeout_ms);
	char	*line;
	int	 rc;

	for (;;) {
		switch (lb_take(&cl->cl_sock, &line)) {
		case LB_TOO_LONG:
			return cl_fail("%s sent a line longer than 1 MiB",
			    cl->cl_addr);
		case LB_LINE:
			if (client_sort_line(cl, line, reply)) {
				*raw = line;
				return CL_EXIT_OK;
			}
			continue;
		case LB_NONE:
			break;
		}
		if (cl->cl_sock.lb_eof)
			return cl_fail("%s closed the connection before replying",
			    cl->cl_addr);
		if ((rc = wait_readable(cl->cl_sock.lb_fd, deadline)) == 0)
			return cl_fail("no reply from %s within %s s", cl->cl_addr,
			    cl->cl_timeout);
		if (rc == -1 || lb_fill(&cl->cl_sock) == -1)
			return cl_fail("cannot read from %s: %s", cl->cl_addr,
			    strerror(errno));
	}
}

/* Send and wait.  Caller frees *reply (which may be NULL on a bad line). */
static int
client_roundtrip(struct client *cl, cJSON *req, char **raw, cJSON **reply)
{
	int	rc;

	*reply = NULL;
	if ((rc = client_send(cl, req)) != CL_EXIT_OK)
		return rc;
	return client_wait_reply(cl, raw, reply);
}

/* A request and its printed reply: 0, 1, or 2 (*fatal: connection lost). */
static int
client_request(struct client *cl, cJSON *req, bool *fatal)
{
	cJSON	*reply;
	char	*raw;
	int	 rc;

	*fatal = false;
	if ((rc = client_roundtrip(cl, req, &raw, &reply)) != CL_EXIT_OK) {
		*fatal = true;
		return rc;
	}
	rc = reply_print(cl, raw, reply);
	cJSON_Delete(reply);
	return rc;
}

/* hello as the terminal; quiet when it works, the error when not. */
static int
client_hello(struct client *cl, const struct options *opt, bool tell)
{
	cJSON	*req, *reply, *role, *staff;
	char	*raw;
	int	 rc;

	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "op", "hello");
	cJSON_AddStringToObject(req, "terminal", opt->opt_terminal);
	if (opt->opt_token != NULL)
		cJSON_AddStringToObject(req, "token", opt->opt_token);
	rc = client_roundtrip(cl, req, &raw, &reply);
	cJSON_Delete(req);
	if (rc != CL_EXIT_OK)
		return rc;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok")))
		rc = reply_print(cl, raw, reply);
	else if (tell) {
		role = cJSON_GetObjectItemCaseSensitive(reply, "role");
		staff = cJSON_GetObjectItemCaseSensitive(reply, "staff");
		fprintf(stderr, "connected to %s as %s (", cl->cl_addr,
		    opt->opt_terminal);
		put_text(stderr, role);
		if (staff != NULL && !cJSON_IsNull(staff)) {
			fputc(' ', stderr);
			put_text(stderr, staff);
		}
		fputs(")\n", stderr);
	}
	cJSON_Delete(reply);
	return rc;
}

/* ---- report: supervisor reports as tables or CSV ---- */

enum report_format { RF_TABLE, RF_JSON, RF_CSV };

static const char *const report_format_names[] = { "table", "json", "csv", NULL };

/* A report subcommand, parsed. */
struct report {
	bool			 rp_summary;	/* else followups */
	enum report_format	 rp_format;
	cJSON			*rp_req;
};

/* The member of obj named name (NULL-safe shorthand). */
static const cJSON *
member(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* A share 0..1 as "87.5%"; anything else as text_of().  Caller frees. */
static char *
rate_text(const cJSON *item)
{
	if (!cJSON_IsNumber(item))
		return text_of(item);
	return xprintf("%.1f%%", item->valuedouble * 100);
}

/* 97200 -> "1d 3h", 5400 -> "1h 30m", 300 -> "5m", 45 -> "45s". */
static void
age_format(long long s, char *buf, size_t len)
{
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lldd %lldh", s / 86400, s / 3600 % 24);
}

/* How long a complaint is overdue, "-" when it is not.  Caller frees. */
static char *
overdue_text(const cJSON *c)
{
	const cJSON	*s = member(c, "overdue_s");
	char		 buf[64];

	if (!cJSON_IsTrue(member(c, "overdue")))
		return xstrdup("-");
	if (!is_integer(s) || s->valuedouble < 0)
		return text_of(s);
	age_format((long long)s->valuedouble, buf, sizeof buf);
	return xstrdup(buf);
}

/* The masked customer as "张* 138****5678"; "-" when none.  Caller frees. */
static char *
customer_text(const cJSON *customer)
{
	const cJSON	*name = member(customer, "name");
	const cJSON	*phone = member(customer, "phone");
	char		*n, *p, *s;

	if (!cJSON_IsObject(customer))
		return text_of(customer);
	n = text_of(name);
	p = text_of(phone);
	if (cJSON_IsNull(phone) || phone == NULL)
		s = xstrdup(n);
	else if (cJSON_IsNull(name) || name == NULL)
		s = xstrdup(p);
	else
		s = xprintf("%s %s", n, p);
	free(n);
	free(p);
	return s;
}

/*
 * "follow-ups (open) at 2026-11-23T01:00:00Z: 3 complaints", the counts
 * and the on-time rate, then each owner's load.
 */
static void
followups_header_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*sum = member(reply, "summary"), *list, *o;
	char		*a, *b, *c, *d;
	int		 shown;

	list = member(reply, "complaints");
	shown = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	a = text_of(member(reply, "status"));
	b = text_of(member(reply, "now"));
	c = text_of(member(reply, "total"));
	fprintf(fp, "follow-ups (%s) at %s: %s complaint%s", a, b, c,
	    strcmp(c, "1") == 0 ? "" : "s");
	if (!is_integer(member(reply, "total")) ||
	    member(reply, "total")->valuedouble != shown)
		fprintf(fp, ", %d shown", shown);
	fputc('\n', fp);
	free(a);
	free(b);
	free(c);

	a = text_of(member(sum, "open"));
	b = text_of(member(sum, "overdue"));
	c = text_of(member(sum, "due_soon"));
	d = rate_text(member(sum, "on_time_rate"));
	fprintf(fp, "open %s  overdue %s  due within 4h %s  on-time rate %s", a,
	    b, c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	a = text_of(member(sum, "on_time"));
	b = text_of(member(sum, "late"));
	fprintf(fp, " (%s on time, %s late)\n", a, b);
	free(a);
	free(b);

	fputs("by owner:", fp);
	shown = 0;
	cJSON_ArrayForEach(o, member(sum, "by_owner")) {
		if (o->string == NULL)
			continue;
		a = escape(o->string);
		b = text_of(member(o, "open"));
		c = text_of(member(o, "overdue"));
		fprintf(fp, "%s %s %s open, %s overdue", shown++ > 0 ? ";" : "",
		    a, b, c);
		free(a);
		free(b);
		free(c);
	}
	fputs(shown == 0 ? " none\n" : "\n", fp);
}

/* The header, then one row per complaint in the daemon's order (by due). */
static void
followups_table_print(FILE *fp, const cJSON *reply)
{
	struct table	 tb = { 10, { "ID", "OWNER", "FIRST RESP", "SEV",
			    "CATEGORY", "STATE", "DUE", "OVERDUE", "TICKET",
			    "CUSTOMER" }, { true, false, false, true, false,
			    false, false, true, false, false }, NULL, 0 };
	const cJSON	*c;
	char		*cells[10];

	followups_header_print(fp, reply);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		cells[0] = text_of(member(c, "id"));
		cells[1] = text_of(member(c, "owner"));
		cells[2] = text_of(member(c, "first_responder"));
		cells[3] = text_of(member(c, "severity"));
		cells[4] = text_of(member(c, "category"));
		cells[5] = text_of(member(c, "state"));
		cells[6] = text_of(member(c, "follow_up_due"));
		cells[7] = overdue_text(c);
		cells[8] = text_of(member(c, "ticket"));
		cells[9] = customer_text(member(c, "customer"));
		table_add(&tb, cells);
	}
	fputc('\n', fp);
	if (tb.tb_rows == 0)
		fputs("no complaints\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

/* "self_service: 1  express: 0" ("none" if sparse and all 0).  Caller frees. */
static char *
counts_text(const cJSON *counts, bool sparse)
{
	const cJSON	*m;
	char		*s = xstrdup(""), *k, *v, *joined;

	cJSON_ArrayForEach(m, counts) {
		if (m->string == NULL || (sparse && cJSON_IsNumber(m) &&
		    m->valuedouble == 0))
			continue;
		k = escape(m->string);
		v = text_of(m);
		joined = xprintf("%s%s%s: %s", s, *s == '\0' ? "" : "  ", k, v);
		free(k);
		free(v);
		free(s);
		s = joined;
	}
	if (*s == '\0') {
		free(s);
		s = xstrdup("none");
	}
	return s;
}

/* "  label          value"; takes value. */
static void
figure_print(FILE *fp, const char *label, char *value)
{
	fprintf(fp, "  %-15s%s\n", label, value);
	free(value);
}

/* "Tickets: 12" after a blank line; takes value. */
static void
heading_print(FILE *fp, const char *title, char *value)
{
	fprintf(fp, "\n%s: %s\n", title, value);
	free(value);
}

/* A table of duration statistics, one row per lane or staff member. */
static void
stats_table_print(FILE *fp, const char *first, const cJSON *rows, bool within)
{
	struct table	 tb = { within ? 7 : 6, { first, "COUNT", "MEAN", "P50",
			    "P90", "MAX", "WITHIN TARGET" }, { false, true, true,
			    true, true, true, true }, NULL, 0 };
	const cJSON	*r;
	char		*cells[7];

	cJSON_ArrayForEach(r, rows) {
		if (r->string == NULL)
			continue;
		cells[0] = escape(r->string);
		cells[1] = text_of(member(r, "count"));
		cells[2] = duration_text(member(r, "mean"));
		cells[3] = duration_text(member(r, "p50"));
		cells[4] = duration_text(member(r, "p90"));
		cells[5] = duration_text(member(r, "max"));
		if (within)
			cells[6] = rate_text(member(r, "within_target"));
		table_add(&tb, cells);
	}
	if (tb.tb_rows == 0)
		fputs("  none\n", fp);
	else
		table_print(fp, &tb);
	table_free(&tb);
}

/* NPS as "20" or "33.3" (a number from -100 to 100).  Caller frees. */
static char *
score_text(const cJSON *item)
{
	if (!cJSON_IsNumber(item) || is_integer(item))
		return text_of(item);
	return xprintf("%.1f", item->valuedouble);
}

/* Compensation as "CNY 123.45 (12345 fen)".  Caller frees. */
static char *
compensation_text(const cJSON *fen)
{
	char	*yuan, *plain, *s;

	if ((yuan = yuan_text(fen)) == NULL)
		return text_of(fen);
	plain = text_of(fen);
	s = xprintf("CNY %s (%s fen)", yuan, plain);
	free(yuan);
	free(plain);
	return s;
}

static void
diversion_print(FILE *fp, const cJSON *o)
{
	const cJSON	*total = member(o, "rerouted_total");
	char		*n, *why;

	heading_print(fp, "Diversion to self-service", rate_text(member(o,
	    "rate")));
	figure_print(fp, "eligible", text_of(member(o, "eligible")));
	figure_print(fp, "diverted", text_of(member(o, "diverted")));
	n = text_of(total);
	if (cJSON_IsNumber(total) && total->valuedouble == 0)
		figure_print(fp, "rerouted back", n);
	else {
		why = counts_text(member(o, "rerouted"), true);
		figure_print(fp, "rerouted back", xprintf("%s (%s)", n, why));
		free(n);
		free(why);
	}
}

static void
summary_table_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*o;
	char		*a, *b, *c, *d;

	a = text_of(member(reply, "from"));
	b = text_of(member(reply, "to"));
	fprintf(fp, "summary %s to %s\n", a, b);
	free(a);
	free(b);

	o = member(reply, "tickets");
	heading_print(fp, "Tickets", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false));
	figure_print(fp, "by service", counts_text(member(o, "by_service"),
	    true));
	figure_print(fp, "by status", counts_text(member(o, "by_status"), true));

	diversion_print(fp, member(reply, "diversion"));

	o = member(reply, "waiting");
	a = duration_text(member(o, "target_wait_s"));
	b = rate_text(member(o, "within_target"));
	fprintf(fp, "\nWaiting (target %s), within target: %s\n", a, b);
	free(a);
	free(b);
	stats_table_print(fp, "LANE", member(o, "by_lane"), true);

	fputs("\nService time per staff:\n", fp);
	stats_table_print(fp, "STAFF", member(member(reply, "service"),
	    "by_staff"), false);

	o = member(reply, "no_show");
	heading_print(fp, "No-shows", text_of(member(o, "total")));
	figure_print(fp, "by lane", counts_text(member(o, "by_lane"), false));

	o = member(reply, "complaints");
	heading_print(fp, "Complaints", text_of(member(o, "total")));
	figure_print(fp, "by category", counts_text(member(o, "by_category"),
	    true));
	figure_print(fp, "by severity", counts_text(member(o, "by_severity"),
	    false));
	figure_print(fp, "by root cause", counts_text(member(o,
	    "by_root_cause"), true));
	figure_print(fp, "compensation", compensation_text(member(o,
	    "compensation_fen")));

	o = member(reply, "followups");
	a = text_of(member(o, "on_time"));
	b = text_of(member(o, "late"));
	c = text_of(member(o, "open_overdue"));
	fprintf(fp, "\nFollow-ups: on time %s, late %s; open and overdue %s "
	    "(of the complaints logged in the range)\n", a, b, c);
	free(a);
	free(b);
	free(c);

	o = member(reply, "nps");
	a = score_text(member(o, "score"));
	b = text_of(member(o, "responses"));
	c = text_of(member(o, "promoters"));
	d = text_of(member(o, "passives"));
	fprintf(fp, "\nNPS: %s (responses %s: promoters %s, passives %s, ", a, b,
	    c, d);
	free(a);
	free(b);
	free(c);
	free(d);
	a = text_of(member(o, "detractors"));
	fprintf(fp, "detractors %s)\n", a);
	free(a);
}

/* ---- CSV (RFC 4180): a header row, CRLF line ends ---- */

/* A field, quoted when it holds a comma, a quote, CR or LF. */
static void
csv_field(FILE *fp, const char *s)
{
	if (s[strcspn(s, ",\"\r\n")] == '\0') {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Takes the cells. */
static void
csv_row(FILE *fp, char **cells, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		csv_field(fp, cells[i]);
		free(cells[i]);
	}
	fputs("\r\n", fp);
}

/*
 * A value as data: null or missing is an empty field, a string its text
 * (control bytes but tab, CR and LF escaped, as everywhere on the
 * terminal), an array or object its JSON.  Caller frees.
 */
static char *
csv_value(const cJSON *item)
{
	char	 buf[64], *json, *s;

	if (item == NULL || cJSON_IsNull(item))
		return xstrdup("");
	if (cJSON_IsString(item) && item->valuestring != NULL)
		return escape_text(item->valuestring, true);
	if (cJSON_IsNumber(item)) {
		number_format(item->valuedouble, buf, sizeof buf);
		return xstrdup(buf);
	}
	if (cJSON_IsBool(item))
		return xstrdup(cJSON_IsTrue(item) ? "true" : "false");
	if ((json = cJSON_PrintUnformatted(item)) == NULL)
		return xstrdup("");
	s = escape_text(json, true);
	cJSON_free(json);
	return s;
}

static const char *const followups_csv_columns[] = {
	"id", "owner", "first_responder", "severity", "category", "state",
	"overdue", "follow_up_due", "overdue_s", "logged_at", "channel",
	"ticket", "customer_name", "customer_phone", "root_cause",
	"compensation_fen", NULL
};

/* One row per complaint; customer_name and customer_phone as masked. */
static void
followups_csv_print(FILE *fp, const cJSON *reply)
{
	char		*cells[32];
	const cJSON	*c;
	size_t		 i;

	for (i = 0; followups_csv_columns[i] != NULL; i++)
		cells[i] = xstrdup(followups_csv_columns[i]);
	csv_row(fp, cells, i);
	cJSON_ArrayForEach(c, member(reply, "complaints")) {
		for (i = 0; followups_csv_columns[i] != NULL; i++) {
			if (strcmp(followups_csv_columns[i], "customer_name") == 0)
				cells[i] = csv_value(member(member(c, "customer"),
				    "name"));
			else if (strcmp(followups_csv_columns[i],
			    "customer_phone") == 0)
				cells[i] = csv_value(member(member(c, "customer"),
				    "phone"));
			else
				cells[i] = csv_value(member(c,
				    followups_csv_columns[i]));
		}
		csv_row(fp, cells, i);
	}
}

static void
summary_csv_row(FILE *fp, const char *section, const char *key,
    const char *metric, char *value)
{
	char	*cells[4];

	cells[0] = xstrdup(section);
	cells[1] = xstrdup(key);
	cells[2] = xstrdup(metric);
	cells[3] = value;
	csv_row(fp, cells, 4);
}

/*
 * section,key,metric,value, one row per figure, in the reply's order:
 * a section's own figures have no key (tickets,,total,12); a breakdown
 * gives a row per member, the member as key and the breakdown as metric
 * (tickets,counter,by_lane,8); statistics per lane or staff give the lane
 * or staff as key and the statistic as metric (waiting,counter,p90,300).
 * compensation_fen is followed by compensation_yuan (123.45).
 */
static void
summary_csv_print(FILE *fp, const cJSON *reply)
{
	const cJSON	*sec, *m, *k, *f;
	char		*yuan;

	fputs("section,key,metric,value\r\n", fp);
	cJSON_ArrayForEach(sec, reply) {
		if (sec->string == NULL || name_in(sec->string, reply_envelope))
			continue;
		if (!cJSON_IsObject(sec)) {
			summary_csv_row(fp, "report", "", sec->string,
			    csv_value(sec));
			continue;
		}
		cJSON_ArrayForEach(m, sec) {
			if (m->string == NULL)
				continue;
			if (!cJSON_IsObject(m)) {
				summary_csv_row(fp, sec->string, "", m->string,
				    csv_value(m));
				if (strcmp(m->string, "compensation_fen") == 0 &&
				    (yuan = yuan_text(m)) != NULL)
					summary_csv_row(fp, sec->string, "",
					    "compensation_yuan", yuan);
				continue;
			}
			cJSON_ArrayForEach(k, m) {
				if (k->string == NULL)
					continue;
				if (!cJSON_IsObject(k)) {
					summary_csv_row(fp, sec->string,
					    k->string, m->string, csv_value(k));
					continue;
				}
				cJSON_ArrayForEach(f, k) {
					if (f->string != NULL)
						summary_csv_row(fp, sec->string,
						    k->string, f->string,
						    csv_value(f));
				}
			}
		}
	}
}

/* ---- report: building and running ---- */

/* "--name value" or "--name=value" at argv[*i]; 1 if it is not --name. */
static int
report_option(const char *name, int argc, char **argv, int *i,
    const char **value, char *err, size_t errlen)
{
	size_t		 len = strlen(name);
	const char	*arg = argv[*i];

	if (strncmp(arg, name, len) != 0 ||
	    (arg[len] != '\0' && arg[len] != '='))
		return 1;
	if (arg[len] == '=')
		*value = arg + len + 1;
	else if (*i + 1 < argc)
		*value = argv[++*i];
	else {
		snprintf(err, errlen, "%s needs a value", name);
		return -1;
	}
	return 0;
}

/*
 * "report followups [--status S] [--limit N] [--format F]" or "report
 * summary --from DATE [--to DATE] [--format F]" (argv[0] is "report"):
 * the request and how to print its reply.  json: --json was given, which
 * is --format json.  -1 with err set on a usage mistake.
 */
static int
report_build(int argc, char **argv, bool json, struct report *rp, char *err,
    size_t errlen)
{
	static const char *const followups_opts[] = {
		"--status", "--limit", "--format", NULL
	};
	static const char *const summary_opts[] = {
		"--from", "--to", "--format", NULL
	};
	const char *const	*opts;
	const char		*value[3] = { NULL, NULL, NULL };
	int			 i, j, rc, f;

	memset(rp, 0, sizeof *rp);
	if (argc < 2 || (strcmp(argv[1], "followups") != 0 &&
	    strcmp(argv[1], "summary") != 0)) {
		snprintf(err, errlen, "report: expected followups or summary%s%s",
		    argc < 2 ? "" : ", got ", argc < 2 ? "" : argv[1]);
		return -1;
	}
	rp->rp_summary = strcmp(argv[1], "summary") == 0;
	opts = rp->rp_summary ? summary_opts : followups_opts;
	for (i = 2; i < argc; i++) {
		for (j = 0, rc = 1; rc == 1 && opts[j] != NULL; j++)
			rc = report_option(opts[j], argc, argv, &i, &value[j],
			    err, errlen);
		if (rc == -1)
			return -1;
		if (rc == 1) {
			snprintf(err, errlen, "report %s: unknown %s \"%s\"",
			    argv[1], argv[i][0] == '-' ? "option" : "argument",
			    argv[i]);
			return -1;
		}
	}

	/* --format is the last of both lists. */
	f = RF_TABLE;
	if (value[2] != NULL) {
		for (f = 0; report_format_names[f] != NULL &&
		    strcmp(report_format_names[f], value[2]) != 0; f++)
			;
		if (report_format_names[f] == NULL) {
			snprintf(err, errlen, "--format: expected table, json or "
			    "csv, got \"%s\"", value[2]);
			return -1;
		}
		if (json && f != RF_JSON) {
			snprintf(err, errlen, "--json and --format %s disagree",
			    value[2]);
			return -1;
		}
	} else if (json)
		f = RF_JSON;
	rp->rp_format = (enum report_format)f;

	rp->rp_req = cJSON_CreateObject();
	if (rp->rp_summary) {
		/*
		 * The business date is the branch's, on the daemon's clock,
		 * in the branch's time zone; the client knows neither, so
		 * --from is required and --to is the same day unless given.
		 */
		if (value[0] == NULL) {
			snprintf(err, errlen, "report summary: --from DATE is "
			    "required (YYYY-MM-DD, a business date)");
			cJSON_Delete(rp->rp_req);
			rp->rp_req = NULL;
			return -1;
		}
		cJSON_AddStringToObject(rp->rp_req, "op", "report.summary");
		cJSON_AddStringToObject(rp->rp_req, "from", value[0]);
		cJSON_AddStringToObject(rp->rp_req, "to",
		    value[1] != NULL ? value[1] : value[0]);
		return 0;
	}
	cJSON_AddStringToObject(rp->rp_req, "op", "report.followups");
	if (value[0] != NULL)
		cJSON_AddStringToObject(rp->rp_req, "status", value[0]);
	if (value[1] != NULL) {
		/* Digits go out as a number, exactly; the daemon checks the range. */
		if (value[1][0] == '\0' ||
		    value[1][strspn(value[1], "0123456789")] != '\0') {
			snprintf(err, errlen, "--limit: expected a number, got "
			    "\"%s\"", value[1]);
			cJSON_Delete(rp->rp_req);
			rp->rp_req = NULL;
			return -1;
		}
		cJSON_AddItemToObject(rp->rp_req, "limit",
		    cJSON_CreateRaw(value[1]));
	}
	return 0;
}

/* Sends the report request and prints the reply: 0, 1, or 2 (*fatal). */
static int
report_request(struct client *cl, struct report *rp, bool *fatal)
{
	cJSON	*reply;
	char	*raw;
	bool	 json = cl->cl_json;
	int	 rc;

	*fatal = false;
	if ((rc = client_roundtrip(cl, rp->rp_req, &raw, &reply)) != CL_EXIT_OK) {
		*fatal = true;
		return rc;
	}
	if (rp->rp_format == RF_JSON ||
	    !cJSON_IsTrue(member(reply, "ok")) || !cJSON_IsObject(reply)) {
		/* The raw line, or an error as for any other op. */
		cl->cl_json = json || rp->rp_format == RF_JSON;
		rc = reply_print(cl, raw, reply);
		cl->cl_json = json;
	} else {
		if (rp->rp_format == RF_CSV && rp->rp_summary)
			summary_csv_print(stdout, reply);
		else if (rp->rp_format == RF_CSV)
			followups_csv_print(stdout, reply);
		else if (rp->rp_summary)
			summary_table_print(stdout, reply);
		else
			followups_table_print(stdout, reply);
		fflush(stdout);
		rc = CL_EXIT_OK;
	}
	cJSON_Delete(reply);
	return rc;
}

/* ---- watch ---- */

static void
sigint_catch(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: poll() must return */
	sigaction(SIGINT, &sa, NULL);
}

/* Prints events until the daemon closes the connection or ^C. */
static int
watch_loop(struct client *cl)
{
	cJSON	*json = NULL;
	char	*line;

	for (;;) {
		switch (lb_take(&cl->cl_sock, &line)) {
		case LB_TOO_LONG:
			return cl_fail("%s sent a line longer than 1 MiB",
			    cl->cl_addr);
		case LB_LINE:
			/* Not an event: only --json shows it, as it is. */
			if (client_sort_line(cl, line, &json) && cl->cl_json)
				printf("%s\n", line);
			cJSON_Delete(json);
			json = NULL;
			fflush(stdout);
			continue;
		case LB_NONE:
			break;
		}
		if (cl->cl_sock.lb_eof || interrupted)
			return CL_EXIT_OK;
		if (wait_readable(cl->cl_sock.lb_fd, -1) == -1 ||
		    lb_fill(&cl->cl_sock) == -1) {
			if (interrupted)
				return CL_EXIT_OK;
			return cl_fail("cannot read from %s: %s", cl->cl_addr,
			    strerror(errno));
		}
	}
}

static int
watch_run(struct client *cl, cJSON *req)
{
	cJSON	*reply;
	char	*raw;
	int	 rc;

	if ((rc = client_roundtrip(cl, req, &raw, &reply)) != CL_EXIT_OK)
		return rc;
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(reply, "ok"))) {
		rc = reply_print(cl, raw, reply);
		cJSON_Delete(reply);
		return rc;
	}
	cJSON_Delete(reply);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "watching %s (^C to stop)\n", cl->cl_addr);
	sigint_catch();
	cl->cl_show_events = true;
	return watch_loop(cl);
}

/* ---- shell ---- */

/* Copies a quoted run from *rp to *wp; -1 if it never closes. */
static int
unquote(char **rp, char **wp)
{
	char	*r = *rp, *w = *wp, quote = *r++;

	for (; *r != quote; r++) {
		if (*r == '\0')
			return -1;
		if (quote == '"' && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	*rp = r + 1;
	*wp = w;
	return 0;
}

/* Splits a line in place into words, with sh's quotes and backslash. */
static int
words_split(char *line, char **argv, int *argcp)
{
	char	*r = line, *w = line;
	bool	 end;
	int	 argc = 0;

	for (;;) {
		r += strspn(r, " \t");
		if (*r == '\0')
			break;
		argv[argc++] = w;
		while (*r != '\0' && *r != ' ' && *r != '\t') {
			if (*r == '\'' || *r == '"') {
				if (unquote(&r, &w) != 0)
					return -1;
			} else {
				if (*r == '\\' && r[1] != '\0')
					r++;
				*w++ = *r++;
			}
		}
		end = *r == '\0';
		if (!end)
			r++;
		*w++ = '\0';	/* w never passes r: this byte is used up */
		if (end)
			break;
	}
	*argcp = argc;
	return 0;
}

/* The request a shell line asks for; NULL after saying what was wrong. */
static cJSON *
shell_request(int argc, char **argv)
{
	char	 err[512];
	cJSON	*req;

	if (strcmp(argv[0], "watch") == 0)
		return subscribe_build(argc - 1, argv + 1);
	if ((req = request_build(argv[0], argc - 1, argv + 1, err,
	    sizeof err)) == NULL)
		cl_warnx("%s", err);
	return req;
}

/* "report ..." in the shell: 0, 1, or 2 (*fatal: connection lost). */
static int
shell_report(struct client *cl, int argc, char **argv, bool *fatal)
{
	struct report	 rp;
	char		 err[512];
	int		 rc;

	*fatal = false;
	if (report_build(argc, argv, cl->cl_json, &rp, err, sizeof err) != 0) {
		cl_warnx("%s", err);
		return CL_EXIT_FAILURE;
	}
	rc = report_request(cl, &rp, fatal);
	cJSON_Delete(rp.rp_req);
	return rc;
}

enum shell_step { SHELL_NEXT, SHELL_QUIT, SHELL_LOST };

/* One line of input: a request, help, or quit. */
static enum shell_step
shell_line(struct client *cl, char *line, int *status)
{
	char	**argv;
	int	  argc;
	bool	  fatal;
	cJSON	 *req;

	line += strspn(line, " \t");
	if (*line == '\0' || *line == '#')
		return SHELL_NEXT;
	argv = xmalloc((strlen(line) / 2 + 2) * sizeof *argv);
	if (words_split(line, argv, &argc) != 0) {
		cl_warnx("unmatched quote");
		*status = CL_EXIT_FAILURE;
	} else if (strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "exit") == 0) {
		free(argv);
		return SHELL_QUIT;
	} else if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0) {
		fputs(shell_help_text, stdout);
		*status = CL_EXIT_OK;
	} else if (strcmp(argv[0], "report") == 0) {
		*status = shell_report(cl, argc, argv, &fatal);
		if (fatal) {
			free(argv);
			return SHELL_LOST;
		}
	} else if ((req = shell_request(argc, argv)) == NULL)
		*status = CL_EXIT_FAILURE;
	else {
		*status = client_request(cl, req, &fatal);
		cJSON_Delete(req);
		if (fatal) {
			free(argv);
			return SHELL_LOST;
		}
	}
	free(argv);
	return SHELL_NEXT;
}

/* Shows the events already read; false if the daemon sent garbage. */
static bool
shell_drain(struct client *cl)
{
	cJSON	*json = NULL;
	char	*line;
	enum lb_result r;

	while ((r = lb_take(&cl->cl_sock, &line)) == LB_LINE) {
		if (client_sort_line(cl, line, &json) && cl->cl_json)
			printf("%s\n", line);
		cJSON_Delete(json);
		json = NULL;
	}
	fflush(stdout);
	if (r == LB_TOO_LONG)
		cl_warnx("%s sent a line longer than 1 MiB", cl->cl_addr);
	return r != LB_TOO_LONG;
}

/* Waits for input or the daemon; false when the connection is gone. */
static bool
shell_wait(struct client *cl, struct linebuf *in)
{
	struct pollfd	pfd[2] = {
		{ .fd = cl->cl_sock.lb_fd, .events = POLLIN },
		{ .fd = in->lb_fd, .events = POLLIN },
	};

	if (poll(pfd, 2, -1) == -1)
		return errno == EINTR;
	if (pfd[0].revents != 0) {
		if (lb_fill(&cl->cl_sock) <= 0) {
			cl_warnx("%s closed the connection", cl->cl_addr);
			return false;
		}
	}
	if (pfd[1].revents != 0 && lb_fill(in) == -1)
		in->lb_eof = true;
	return true;
}

static int
shell_run(struct client *cl)
{
	struct linebuf	 in;
	bool		 tty = isatty(STDIN_FILENO);
	enum shell_step	 step = SHELL_NEXT;
	int		 status = CL_EXIT_OK;
	char		*line;

	lb_init(&in, STDIN_FILENO);
	cl->cl_show_events = true;
	cl->cl_prompt_erase = isatty(STDOUT_FILENO);
	while (step == SHELL_NEXT) {
		if (!shell_drain(cl)) {
			step = SHELL_LOST;
			break;
		}
		switch (lb_take(&in, &line)) {
		case LB_LINE:
			cl->cl_prompt_shown = false;
			step = shell_line(cl, line, &status);
			continue;
		case LB_TOO_LONG:
			cl_warnx("input line longer than 1 MiB");
			step = SHELL_LOST;
			continue;
		case LB_NONE:
			break;
		}
		if (in.lb_eof)
			break;
		if (tty && !cl->cl_prompt_shown) {
			fputs(CL_PROMPT, stdout);
			fflush(stdout);
			cl->cl_prompt_shown = true;
		}
		if (!shell_wait(cl, &in))
			step = SHELL_LOST;
	}
	if (tty && cl->cl_prompt_shown)
		fputc('\n', stdout);
	lb_free(&in);
	return step == SHELL_LOST ? CL_EXIT_FAILURE : status;
}

/* ---- options and main ---- */

static const struct value_option {
	const char	*vo_name;
	size_t		 vo_offset;
} value_options[] = {
	{ "--connect", offsetof(struct options, opt_connect) },
	{ "--terminal", offsetof(struct options, opt_terminal) },
	{ "--token", offsetof(struct options, opt_token) },
	{ "--timeout", offsetof(struct options, opt_timeout) },
};

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

/* "--name value" or "--name=value"; 1 if arg is not this option. */
static int
value_option_take(const struct value_option *vo, struct options *opt,
    int argc, char **argv, int *i)
{
	size_t		 len = strlen(vo->vo_name);
	const char	*arg = argv[*i], **field;

	if (strncmp(arg, vo->vo_name, len) != 0 ||
	    (arg[len] != '\0' && arg[len] != '='))
		return 1;
	field = (const char **)(void *)((char *)opt + vo->vo_offset);
	if (arg[len] == '=')
		*field = arg + len + 1;
	else if (*i + 1 < argc)
		*field = argv[++*i];
	else
		return usage_error("%s needs a value", vo->vo_name);
	return 0;
}

/* Options before the operation; *first is where the operation is. */
static int
options_parse(int argc, char **argv, struct options *opt, int *first)
{
	size_t	j;
	int	i, rc;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("%s%s", usage_text, help_text);
			exit(CL_EXIT_OK);
		}
		if (strcmp(argv[i], "--json") == 0) {
			opt->opt_json = true;
			continue;
		}
		for (j = 0, rc = 1; rc == 1 && j < sizeof value_options /
		    sizeof value_options[0]; j++)
			rc = value_option_take(&value_options[j], opt, argc,
			    argv, &i);
		if (rc == 1)
			return usage_error("unknown option %s", argv[i]);
		if (rc != 0)
			return rc;
	}
	*first = i;
	return CL_EXIT_OK;
}

/* Seconds, maybe with a fraction; 0 means wait for ever. */
static int
timeout_parse(const char *text, int64_t *ms)
{
	char	*end;
	double	 s;

	errno = 0;
	s = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !(s >= 0) || s > 1e9)
		return usage_error("--timeout: expected seconds, got \"%s\"",
		    text);
	*ms = s == 0 ? -1 : (int64_t)(s * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return CL_EXIT_OK;
}

static void *
cjson_malloc(size_t size)
{
	return xmalloc(size);
}

/* Builds what argv asks for, connects, says hello, and runs it. */
static int
run(struct client *cl, const struct options *opt, int argc, char **argv)
{
	struct report	 rp = { false, RF_TABLE, NULL };
	char		 err[512];
	cJSON		*req = NULL;
	bool		 shell = strcmp(argv[0], "shell") == 0, fatal;
	bool		 report = strcmp(argv[0], "report") == 0;
	int		 rc;

	if (strcmp(argv[0], "help") == 0) {
		printf("%s%s", usage_text, help_text);
		return CL_EXIT_OK;
	}
	if (shell && argc > 1)
		return usage_error("shell takes no arguments");
	if (strcmp(argv[0], "watch") == 0)
		req = subscribe_build(argc - 1, argv + 1);
	else if (report) {
		if (report_build(argc, argv, cl->cl_json, &rp, err,
		    sizeof err) != 0)
			return usage_error("%s", err);
		req = rp.rp_req;
	} else if (!shell && (req = request_build(argv[0], argc - 1, argv + 1,
	    err, sizeof err)) == NULL)
		return usage_error("%s", err);
	rc = client_connect(cl, opt->opt_connect);
	if (rc == CL_EXIT_OK && opt->opt_terminal != NULL)
		rc = client_hello(cl, opt, shell && isatty(STDIN_FILENO));
	if (rc == CL_EXIT_OK) {
		if (shell)
			rc = shell_run(cl);
		else if (strcmp(argv[0], "watch") == 0)
			rc = watch_run(cl, req);
		else if (report)
			rc = report_request(cl, &rp, &fatal);
		else
			rc = client_request(cl, req, &fatal);
	}
	cJSON_Delete(req);
	return rc;
}

int
main(int argc, char **argv)
{
	cJSON_Hooks	 hooks = { cjson_malloc, free };
	struct options	 opt;
	struct client	 cl;
	int		 first = 1, rc;

	cJSON_InitHooks(&hooks);
	memset(&opt, 0, sizeof opt);
	opt.opt_connect = env_or("BRANCHQ_CONNECT", CL_DEFAULT_ADDR);
	opt.opt_terminal = env_or("BRANCHQ_TERMINAL", NULL);
	opt.opt_token = env_or("BRANCHQ_TOKEN", NULL);
	opt.opt_timeout = CL_DEFAULT_TIMEOUT;
	if ((rc = options_parse(argc, argv, &opt, &first)) != CL_EXIT_OK)
		return rc;
	if (first >= argc) {
		fputs(usage_text, stderr);
		return CL_EXIT_FAILURE;
	}
	memset(&cl, 0, sizeof cl);
	cl.cl_json = opt.opt_json;
	cl.cl_next_id = 1;
	cl.cl_timeout = opt.opt_timeout;
	if ((rc = timeout_parse(opt.opt_timeout, &cl.cl_timeout_ms)) != 0)
		return rc;
	rc = run(&cl, &opt, argc - first, argv + first);
	client_close(&cl);
	return rc;
}
