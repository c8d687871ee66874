/* Unit tests for printer.c's receipt: a pure function, ticket fields in, ESC/POS out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "branchq.h"

static iconv_t	cd;

static bool
contains(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
	size_t	i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

#define HAS(buf, n, s)	contains((buf), (n), (s), sizeof (s) - 1)

/* The receipt back in UTF-8, control bytes as they are (GB18030 keeps ASCII)
 * but NUL, which is "~". */
static char *
decoded(const unsigned char *buf, size_t n)
{
	iconv_t	 back = iconv_open("UTF-8", "GB18030");
	char	*out = calloc(1, 4 * n + 1), *in = (char *)(uintptr_t)buf, *o = out;
	size_t	 inleft = n, outleft = 4 * n;

	assert_true(back != (iconv_t)-1);
	assert_true(iconv(back, &in, &inleft, &o, &outleft) != (size_t)-1);
	iconv_close(back);
	for (; o > out; o--)
		if (o[-1] == '\0')
			o[-1] = '~';	/* GS ! 0, GS V 66 0: text goes on after them */
	return out;
}

static struct receipt
waiting(void)
{
	struct receipt	rc;

	memset(&rc, 0, sizeof rc);
	rc.rc_branch = "南京分行 NJ-001";
	rc.rc_number = "A007";
	rc.rc_lane = LANE_COUNTER;
	rc.rc_status = TS_WAITING;
	rc.rc_rule = RULE_NOT_DIVERTIBLE;
	rc.rc_ahead = 6;
	rc.rc_wait_s = 601;	/* 10 min 1 s: "about 11" */
	rc.rc_issued_at = 1795395600;	/* 2026-11-23T01:00:00Z: 09:00 in Shanghai */
	return rc;
}

static void
test_waiting(void **state)
{
	struct receipt	rc = waiting();
	unsigned char	buf[RECEIPT_MAX];
	size_t		n;
	char		*text;

	(void)state;
	n = receipt_render(&rc, cd, buf, sizeof buf);
	assert_true(n > 0 && n <= sizeof buf);
	/* ESC @ first; FS & (Chinese mode); the cut (GS V 66 0) last */
	assert_memory_equal(buf, "\x1b@\x1c&", 4);
	assert_memory_equal(buf + n - 4, "\x1dV\x42\x00", 4);
	/* 柜台 in GB18030 (as in GB2312: B9F1 CCA8), never its UTF-8 */
	assert_true(HAS(buf, n, "\xb9\xf1\xcc\xa8"));
	assert_false(HAS(buf, n, "柜台"));
	/* the number, double width and height, then back to normal */
	assert_true(HAS(buf, n, "\x1d!\x11" "A007\n\x1d!\x00"));
	text = decoded(buf, n);
	assert_non_null(strstr(text, "南京分行 NJ-001\n"));
	assert_non_null(strstr(text, "柜台  Counter\n"));
	assert_non_null(strstr(text, "前面还有 6 人 / 6 people ahead\n"));
	assert_non_null(strstr(text, "预计等待约 11 分钟 / About 11 min wait\n"));
	assert_non_null(strstr(text, "取号时间 / Issued: 2026-11-23 09:00\n"));
	assert_null(strstr(text, "自助"));
	free(text);
}

static void
test_lanes(void **state)
{
	static const struct { enum lane lane; const char *want; } lanes[] = {
		{ LANE_COUNTER, "柜台  Counter\n" },
		{ LANE_EXPRESS, "现金快速通道  Express cash\n" },
		{ LANE_VIP, "贵宾  VIP\n" },
	};
	struct receipt	rc = waiting();
	unsigned char	buf[RECEIPT_MAX];
	size_t		i, n;
	char		*text;

	(void)state;
	for (i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
		rc.rc_lane = lanes[i].lane;
		rc.rc_ahead = 1;
		rc.rc_wait_s = 0;
		n = receipt_render(&rc, cd, buf, sizeof buf);
		text = decoded(buf, n);
		assert_non_null(strstr(text, lanes[i].want));
		assert_non_null(strstr(text, "前面还有 1 人 / 1 person ahead\n"));
		assert_non_null(strstr(text, "预计等待约 0 分钟"));
		free(text);
	}
}

static void
test_diverted(void **state)
{
	struct receipt	rc = waiting();
	unsigned char	buf[RECEIPT_MAX];
	size_t		n;
	char		*text;

	(void)state;
	rc.rc_number = "S001";
	rc.rc_lane = LANE_SELF_SERVICE;
	rc.rc_status = TS_DIVERTED;
	rc.rc_rule = RULE_CASH_WITHIN_THRESHOLD;
	n = receipt_render(&rc, cd, buf, sizeof buf);
	text = decoded(buf, n);
	assert_non_null(strstr(text, "自助设备  Self-service\n"));
	assert_non_null(strstr(text, "请到自助设备办理\nPlease use the self-service machines\n"));
	assert_non_null(strstr(text, "现金金额在自助设备限额以内"));
	assert_null(strstr(text, "前面还有"));
	free(text);
	rc.rc_rule = RULE_TRANSFER_WITHIN_THRESHOLD;
	n = receipt_render(&rc, cd, buf, sizeof buf);
	text = decoded(buf, n);
	assert_non_null(strstr(text, "转账金额在自助设备限额以内"));
	free(text);
}

/* Invalid UTF-8 is "?"; too little room cuts the text but keeps the cut. */
static void
test_bad_text_and_room(void **state)
{
	struct receipt	rc = waiting();
	unsigned char	buf[RECEIPT_MAX];
	size_t		n;

	(void)state;
	rc.rc_branch = "X\xff" "Y";
	n = receipt_render(&rc, cd, buf, sizeof buf);
	assert_true(HAS(buf, n, "X?Y\n"));
	n = receipt_render(&rc, cd, buf, 40);
	assert_true(n <= 40);
	assert_memory_equal(buf + n - 4, "\x1dV\x42\x00", 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting),
		cmocka_unit_test(test_lanes),
		cmocka_unit_test(test_diverted),
		cmocka_unit_test(test_bad_text_and_room),
	};
	int	rc;

	if (time_set_zone("Asia/Shanghai") == -1)
		return 1;
	if ((cd = iconv_open("GB18030", "UTF-8")) == (iconv_t)-1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	iconv_close(cd);
	return rc;
}
