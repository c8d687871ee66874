/*
 * An HTTP/1.1 request head, parsed (RFC 9110, 9112): the request line and
 * the header fields, nothing else.  Pure: bytes in, a struct or the status
 * to refuse them with out; http.c finds the head's end and reads the body.
 *
 * Strict where leniency has bitten servers (request smuggling): a header
 * name with white space before its colon, a folded line, a bare CR, two
 * different Content-Lengths, or Content-Length beside Transfer-Encoding is
 * a 400.  A bare LF ends a line, as RFC 9112 allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "branchq.h"

static const char *const method_names[] = {
	[HM_GET] = "GET", [HM_HEAD] = "HEAD", [HM_POST] = "POST", [HM_PUT] = "PUT",
	[HM_DELETE] = "DELETE", [HM_OPTIONS] = "OPTIONS", [HM_PATCH] = "PATCH",
	[HM_OTHER] = NULL,
};

/* RFC 9110 tchar */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The next line of the head, NUL-terminated in place; NULL at its end. */
static char *
next_line(char **cursor, char *end, int *status, char *err, size_t errlen)
{
	char	*line = *cursor, *p;

	for (p = line; p < end && *p != '\n'; p++)
		if (*p == '\r' && (p + 1 >= end || p[1] != '\n')) {
			snprintf(err, errlen, "a bare CR in the request head");
			*status = 400;
			return NULL;
		}
	if (p >= end) {
		snprintf(err, errlen, "the request head does not end with an empty line");
		*status = 400;
		return NULL;
	}
	*cursor = p + 1;
	if (p > line && p[-1] == '\r')
		p--;
	*p = '\0';
	return line;
}

static int
refuse(int status, char *err, size_t errlen, const char *why, const char *what)
{
	snprintf(err, errlen, "%s%s%.64s", why, what != NULL ? ": " : "", what != NULL ? what : "");
	return status;
}

static int
request_line(char *line, struct http_head *h, char *err, size_t errlen)
{
	char		*sp1, *sp2, *q;
	const char	*t;
	size_t		 i;

	if ((sp1 = strchr(line, ' ')) == NULL || (sp2 = strchr(sp1 + 1, ' ')) == NULL ||
	    strchr(sp2 + 1, ' ') != NULL)
		return refuse(400, err, errlen, "the request line must be METHOD TARGET VERSION",
		    NULL);
	*sp1 = *sp2 = '\0';
	if (*line == '\0')
		return refuse(400, err, errlen, "the request line has no method", NULL);
	for (q = line; *q != '\0'; q++)
		if (!is_tchar((unsigned char)*q))
			return refuse(400, err, errlen, "the method is not a token", NULL);
	h->hd_method = HM_OTHER;
	h->hd_method_name = line;
	for (i = 0; i < HM_OTHER; i++)
		if (strcmp(method_names[i], line) == 0)
			h->hd_method = (enum http_method)i;
	if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1') ||
	    sp2[9] != '\0') {
		if (strncmp(sp2 + 1, "HTTP/", 5) == 0)
			return refuse(505, err, errlen, "only HTTP/1.0 and HTTP/1.1 are spoken",
			    sp2 + 1);
		return refuse(400, err, errlen, "the request line's version is not HTTP/1.x",
		    NULL);
	}
	h->hd_minor = sp2[8] - '0';
	h->hd_target = sp1 + 1;
	/* Origin form only ("*" for OPTIONS): no absolute URLs to proxy. */
	if (strcmp(h->hd_target, "*") == 0 && h->hd_method == HM_OPTIONS) {
		h->hd_path = h->hd_target;
		h->hd_path_len = 1;
		return 0;
	}
	if (h->hd_target[0] != '/')
		return refuse(400, err, errlen, "the target must be a path starting with /", NULL);
	for (t = h->hd_target; *t != '\0'; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f || *t == '#')
			return refuse(400, err, errlen, "the target has a character that must "
			    "be percent-encoded", NULL);
	h->hd_path = h->hd_target;
	if ((t = strchr(h->hd_target, '?')) != NULL) {
		/* The path is the target's start: the target stays whole for logs. */
		h->hd_query = t + 1;
		h->hd_path_len = (size_t)(t - h->hd_target);
	} else
		h->hd_path_len = strlen(h->hd_target);
	return 0;
}

/* A header's value without its surrounding white space. */
static char *
trim(char *v)
{
	char	*e;

	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return v;
}

/* Whether a comma-separated header value lists token, case-insensitively. */
bool
http_list_has(const char *value, const char *token)
{
	size_t	n = strlen(token), len;

	while (value != NULL && *value != '\0') {
		value += strspn(value, " \t,");
		len = strcspn(value, ",");
		while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(value, token, n) == 0)
			return true;
		value += strcspn(value, ",");
	}
	return false;
}

static int
header_field(char *line, struct http_head *h, char *err, size_t errlen)
{
	char	*colon, *q, *value, *end;
	long long cl;

	if (*line == ' ' || *line == '\t')
		return refuse(400, err, errlen, "a folded header line (obsolete) is not accepted",
		    NULL);
	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return refuse(400, err, errlen, "a header line without a name and a colon", NULL);
	*colon = '\0';
	for (q = line; *q != '\0'; q++)
		if (!is_tchar((unsigned char)*q))
			return refuse(400, err, errlen, "a header name is not a token "
			    "(white space before the colon?)", line);
	value = trim(colon + 1);
	for (q = value; *q != '\0'; q++)
		if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
			return refuse(400, err, errlen, "a control character in a header", line);
	if (h->hd_nheaders == HTTP_MAX_HEADERS)
		return refuse(431, err, errlen, "too many header fields", NULL);
	if (strcasecmp(line, "Host") == 0 && http_head_get(h, "Host") != NULL)
		return refuse(400, err, errlen, "Host given twice", NULL);
	if (strcasecmp(line, "Content-Length") == 0) {
		if (*value < '0' || *value > '9')
			return refuse(400, err, errlen, "Content-Length must be digits", NULL);
		cl = strtoll(value, &end, 10);
		if (*end != '\0' || cl < 0 || cl > 1000000000000LL)
			return refuse(400, err, errlen, "Content-Length must be digits", NULL);
		if (h->hd_content_length >= 0 && h->hd_content_length != cl)
			return refuse(400, err, errlen, "two different Content-Lengths", NULL);
		h->hd_content_length = cl;
	}
	if (strcasecmp(line, "Transfer-Encoding") == 0)
		h->hd_transfer_encoding = true;
	if (strcasecmp(line, "Connection") == 0) {
		if (http_list_has(value, "close"))
			h->hd_close = true;
		if (http_list_has(value, "keep-alive"))
			h->hd_keep_alive = true;
	}
	h->hd_headers[h->hd_nheaders].hh_name = line;
	h->hd_headers[h->hd_nheaders].hh_value = value;
	h->hd_nheaders++;
	return 0;
}

int
http_parse_head(char *buf, size_t len, struct http_head *h, char *err, size_t errlen)
{
	char	*cursor = buf, *end = buf + len, *line;
	int	 status = 0;

	memset(h, 0, sizeof *h);
	h->hd_content_length = -1;
	*err = '\0';
	if (memchr(buf, '\0', len) != NULL)
		return refuse(400, err, errlen, "a NUL byte in the request head", NULL);
	/* RFC 9112 2.2: empty lines before the request line are ignored. */
	while (cursor < end && (*cursor == '\n' || (*cursor == '\r' && cursor + 1 < end &&
	    cursor[1] == '\n')))
		cursor += *cursor == '\r' ? 2 : 1;
	if ((line = next_line(&cursor, end, &status, err, errlen)) == NULL)
		return status;
	if ((status = request_line(line, h, err, errlen)) != 0)
		return status;
	for (;;) {
		if ((line = next_line(&cursor, end, &status, err, errlen)) == NULL)
			return status;
		if (*line == '\0')
			break;
		if ((status = header_field(line, h, err, errlen)) != 0)
			return status;
	}
	if (h->hd_transfer_encoding && h->hd_content_length >= 0)
		return refuse(400, err, errlen, "Content-Length beside Transfer-Encoding", NULL);
	/* HTTP/1.0 closes unless it asks to stay; 1.1 stays unless it asks to close. */
	if (h->hd_minor == 0 && !h->hd_keep_alive)
		h->hd_close = true;
	return 0;
}

const char *
http_head_get(const struct http_head *h, const char *name)
{
	size_t	i;

	for (i = 0; i < h->hd_nheaders; i++)
		if (strcasecmp(h->hd_headers[i].hh_name, name) == 0)
			return h->hd_headers[i].hh_value;
	return NULL;
}

bool
http_path_is(const struct http_head *h, const char *path)
{
	return strlen(path) == h->hd_path_len && strncmp(h->hd_path, path, h->hd_path_len) == 0;
}

int
http_query_get(const struct http_head *h, const char *name, char *out, size_t outlen)
{
	const char	*p = h->hd_query, *v;
	size_t		 n = strlen(name), o;
	int		 hi, lo;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' || p[n] == '\0')) {
			v = p[n] == '=' ? p + n + 1 : p + n;
			for (o = 0; *v != '\0' && *v != '&'; v++) {
				if (o + 1 >= outlen)
					return -1;
				if (*v == '%') {
					if ((hi = hex_digit(v[1])) < 0 || (lo = hex_digit(v[2])) < 0 ||
					    (hi == 0 && lo == 0))
						return -1;
					out[o++] = (char)(hi * 16 + lo);
					v += 2;
				} else
					out[o++] = *v == '+' ? ' ' : *v;
			}
			out[o] = '\0';
			return 1;
		}
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return 0;
}
