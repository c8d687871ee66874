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

static const char *const lane_order[] = {
	"self_service", "express", "counter", "vip", NULL
};
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
"examples:\n"
"  branchq ping\n"
"  branchq --terminal K01 --token kiosk-demo ticket.issue \\\n"
"      service=cash_withdrawal amount_fen=2500000 flags.vip=true\n"
"  branchq --terminal T01 --token teller1-demo window.open window=3 \\\n"
"      lanes='[\"counter\"]'\n"
"  branchq --terminal D01 --token display-demo watch calls\n"
"\n"
"exit status: 0 ok, 1 error reply, 2 usage or connection problem\n";

static const char shell_help_text[] =
"OP [field=value ...]   send a request, e.g. ticket.call_next\n"
"                       or ticket.start number=A001\n"
"watch [TOPIC ...]      subscribe (default: calls queue); events show as they come\n"
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

/* Control bytes (C0, DEL, and C1 in UTF-8) become escapes.  Caller frees. */
static char *
escape(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out, *w;

	w = out = xmalloc(strlen(s) * 8 + 1);
	for (; *p != '\0'; p++) {
		if (*p == '\n')
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

/* Adds "(CNY 25000.00)" to money and "(9m00s)" to longer durations. */
static char *
value_text(const char *name, const cJSON *item)
{
	char		 dur[64], *plain, *s;
	long long	 v;

	plain = text_of(item);
	if (name == NULL || !is_integer(item))
		return plain;
	v = (long long)item->valuedouble;
	if (has_suffix(name, "_fen")) {
		s = xprintf("%s (CNY %s%lld.%02lld)", plain, v < 0 ? "-" : "",
		    llabs(v) / 100, llabs(v) % 100);
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
	static const char *const defaults[] = { "calls", "queue" };
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

/* ---- queue.snapshot as two small tables ---- */

#define TABLE_COLS	5

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
	for (i = 0; lane_order[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_order[i]);
		if (lane != NULL)
			lane_row_add(&tb, lane_order[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_order))
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
	for (i = 0; lane_order[i] != NULL; i++) {
		lane = cJSON_GetObjectItemCaseSensitive(lanes, lane_order[i]);
		if (lane != NULL)
			event_lane(fp, lane_order[i], lane);
	}
	cJSON_ArrayForEach(lane, lanes) {
		if (lane->string != NULL && !name_in(lane->string, lane_order))
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
	char	 err[512];
	cJSON	*req = NULL;
	bool	 shell = strcmp(argv[0], "shell") == 0, fatal;
	int	 rc;

	if (strcmp(argv[0], "help") == 0) {
		printf("%s%s", usage_text, help_text);
		return CL_EXIT_OK;
	}
	if (shell && argc > 1)
		return usage_error("shell takes no arguments");
	if (strcmp(argv[0], "watch") == 0)
		req = subscribe_build(argc - 1, argv + 1);
	else if (!shell && (req = request_build(argv[0], argc - 1, argv + 1,
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
