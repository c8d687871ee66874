/* Unit tests for config.c: the configuration file contract, demo, tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "branchq.h"

/* sha256("abc"), FIPS 180-2 appendix B.1 */
#define HASH_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HASH	 HASH_ABC

#define TERM_K	"{\"id\":\"K01\",\"role\":\"kiosk\",\"token_sha256\":\"" HASH "\"}"
#define TERM_T	"{\"id\":\"T01\",\"role\":\"teller\",\"staff\":\"E1001\"," \
		"\"token_sha256\":\"" HASH "\"}"
#define TERM_S	"{\"id\":\"S01\",\"role\":\"supervisor\",\"staff\":\"E9001\"," \
		"\"token_sha256\":\"" HASH "\"}"
#define TERMS	"\"terminals\":[" TERM_K "," TERM_T "," TERM_S "]"
#define WH_OK	"\"url\":\"http://127.0.0.1:9000/hook\",\"secret\":\"s\"," \
		"\"events\":[\"complaint.logged\"]"

struct bad_case {
	const char	*text;
	const char	*want;	/* substring of the error */
};

static void
to_hex(const unsigned char h[32], char out[65])
{
	int	i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static bool
zeroed(const struct config *cf)
{
	static const struct config zero;

	return memcmp(cf, &zero, sizeof zero) == 0;
}

/* The problems of one load, one string each. */
struct problems {
	char	p_line[16][512];
	int	p_n;
};

static void
collect(void *arg, const char *msg)
{
	struct problems	*p = arg;

	if (strchr(msg, '\n') != NULL)
		fail_msg("a problem with a newline: %s", msg);
	if (p->p_n < 16)
		snprintf(p->p_line[p->p_n], sizeof p->p_line[0], "%s", msg);
	p->p_n++;
}

/*
 * "t.json:LINE: rest" as "t.json: rest": the cases below were written
 * before problems had lines; the lines are checked by the tests of
 * several problems further down.  NULL when there is no line.
 */
static const char *
without_line(const char *msg, char *out, size_t outlen)
{
	const char	*p = msg + 7;

	if (strncmp(msg, "t.json:", 7) != 0 || *p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, ": ", 2) != 0)
		return NULL;
	snprintf(out, outlen, "t.json: %s", p + 2);
	return out;
}

/*
 * Every case must fail with "t.json:LINE: " and the wanted text as its one
 * problem (config_load_text_report), and as the first for config_load_text,
 * leaving cf zeroed.
 */
static void
expect_errors(const struct bad_case *cases, size_t n)
{
	struct config	cf;
	struct problems	pr;
	char		err[512], flat[600];
	size_t		i;
	int		failures = 0, k;

	for (i = 0; i < n; i++) {
		memset(&cf, 0xa5, sizeof cf);	/* garbage in: load must not trust it */
		err[0] = '\0';
		if (config_load_text(&cf, "t.json", cases[i].text, err,
		    sizeof err) != -1) {
			print_error("case %zu loaded: %s\n", i, cases[i].text);
			failures++;
			config_free(&cf);
			continue;
		}
		if (without_line(err, flat, sizeof flat) == NULL ||
		    strstr(flat, cases[i].want) == NULL) {
			print_error("case %zu: got \"%s\", want \"%s\"\n", i, err,
			    cases[i].want);
			failures++;
		}
		if (!zeroed(&cf)) {
			print_error("case %zu: config not left zeroed\n", i);
			failures++;
		}
		config_free(&cf);	/* freeing after a failure is safe */

		memset(&cf, 0xa5, sizeof cf);
		memset(&pr, 0, sizeof pr);
		if (config_load_text_report(&cf, "t.json", cases[i].text, collect,
		    &pr) != pr.p_n || pr.p_n != 1 ||
		    strcmp(pr.p_line[0], err) != 0) {
			print_error("case %zu: %d problems, want just \"%s\":\n", i,
			    pr.p_n, err);
			for (k = 0; k < pr.p_n && k < 16; k++)
				print_error("    %s\n", pr.p_line[k]);
			failures++;
		}
		if (!zeroed(&cf)) {
			print_error("case %zu: config not left zeroed (report)\n", i);
			failures++;
		}
		config_free(&cf);
	}
	assert_int_equal(failures, 0);
}

#define EXPECT_ERRORS(c)	expect_errors((c), sizeof (c) / sizeof (c)[0])

static void
test_sha256_abc(void **state)
{
	unsigned char	h[32];
	char		hex[65];

	(void)state;
	sha256("abc", 3, h);
	to_hex(h, hex);
	assert_string_equal(hex, HASH_ABC);
	sha256("", 0, h);
	to_hex(h, hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
test_roles(void **state)
{
	(void)state;
	assert_string_equal(role_name(ROLE_KIOSK), "kiosk");
	assert_string_equal(role_name(ROLE_DISPLAY), "display");
	assert_string_equal(role_name(ROLE_TELLER), "teller");
	assert_string_equal(role_name(ROLE_LOBBY), "lobby");
	assert_string_equal(role_name(ROLE_SUPERVISOR), "supervisor");
	assert_int_equal(role_from_name("kiosk"), ROLE_KIOSK);
	assert_int_equal(role_from_name("display"), ROLE_DISPLAY);
	assert_int_equal(role_from_name("teller"), ROLE_TELLER);
	assert_int_equal(role_from_name("lobby"), ROLE_LOBBY);
	assert_int_equal(role_from_name("supervisor"), ROLE_SUPERVISOR);
	assert_int_equal(role_from_name("none"), -1);
	assert_int_equal(role_from_name("Teller"), -1);
	assert_int_equal(role_from_name(""), -1);
	assert_int_equal(role_from_name(NULL), -1);
}

/* PROTOCOL.md's example, with real hashes of distinct tokens. */
static void
test_full_example(void **state)
{
	static const char *const tokens[] = { "k-tok", "t-tok", "l-tok", "s-tok", "d-tok" };
	unsigned char	 h[5][32];
	char		 hex[5][65], text[4096], err[256] = "";
	struct config	 cf;
	const struct terminal_conf *tc;
	int		 i;

	(void)state;
	for (i = 0; i < 5; i++) {
		sha256(tokens[i], strlen(tokens[i]), h[i]);
		to_hex(h[i], hex[i]);
	}
	snprintf(text, sizeof text,
	    "{\n"
	    "  \"branch\": \"NJ-001\",\n"
	    "  \"timezone\": \"Asia/Shanghai\",\n"
	    "  \"thresholds_fen\": {\"cash\": 2000000, \"transfer\": 5000000, \"express_cash\": 5000000},\n"
	    "  \"authority_fen\": {\"teller\": 20000, \"lobby\": 50000, \"supervisor\": 200000},\n"
	    "  \"follow_up_hours\": 24,\n"
	    "  \"target_wait_s\": 900,\n"
	    "  \"max_recalls\": 2,\n"
	    "  \"duty_supervisor\": \"E9001\",\n"
	    "  \"webhooks\": [{\"url\": \"http://127.0.0.1:9000/hook\", \"secret\": \"s3cret\",\n"
	    "                \"events\": [\"complaint.logged\", \"followup.overdue\", \"survey.detractor\"]}],\n"
	    "  \"terminals\": [\n"
	    "    {\"id\": \"K01\", \"role\": \"kiosk\",      \"token_sha256\": \"%s\"},\n"
	    "    {\"id\": \"T01\", \"role\": \"teller\",     \"staff\": \"E1001\", \"token_sha256\": \"%s\"},\n"
	    "    {\"id\": \"L01\", \"role\": \"lobby\",      \"staff\": \"E2001\", \"token_sha256\": \"%s\"},\n"
	    "    {\"id\": \"S01\", \"role\": \"supervisor\", \"staff\": \"E9001\", \"token_sha256\": \"%s\"},\n"
	    "    {\"id\": \"D01\", \"role\": \"display\",    \"token_sha256\": \"%s\"}\n"
	    "  ]\n"
	    "}\n", hex[0], hex[1], hex[2], hex[3], hex[4]);
	assert_int_equal(config_load_text(&cf, "branchq.json", text, err,
	    sizeof err), 0);
	assert_string_equal(err, "");
	assert_string_equal(cf.cf_branch, "NJ-001");
	assert_string_equal(cf.cf_timezone, "Asia/Shanghai");
	/* Only checked: the daemon sets its zone at start-up, not the reader. */
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	config_free(&cf);
	assert_int_equal(config_load_text(&cf, "branchq.json", text, err, sizeof err), 0);
	assert_string_equal(getenv("TZ"), "UTC");
	assert_int_equal(cf.cf_cash_threshold_fen, 2000000);
	assert_int_equal(cf.cf_transfer_threshold_fen, 5000000);
	assert_int_equal(cf.cf_express_cash_fen, 5000000);
	assert_int_equal(cf.cf_authority_fen[ROLE_TELLER], 20000);
	assert_int_equal(cf.cf_authority_fen[ROLE_LOBBY], 50000);
	assert_int_equal(cf.cf_authority_fen[ROLE_SUPERVISOR], 200000);
	assert_int_equal(cf.cf_authority_fen[ROLE_KIOSK], 0);
	assert_int_equal(cf.cf_authority_fen[ROLE_DISPLAY], 0);
	assert_int_equal(cf.cf_follow_up_hours, 24);
	assert_int_equal(cf.cf_target_wait_s, 900);
	assert_int_equal(cf.cf_max_recalls, 2);
	assert_int_equal(cf.cf_default_service_s, 300);
	assert_string_equal(cf.cf_duty_supervisor, "E9001");
	assert_false(cf.cf_demo);

	assert_int_equal(cf.cf_nwebhooks, 1);
	assert_string_equal(cf.cf_webhooks[0].wh_url, "http://127.0.0.1:9000/hook");
	assert_string_equal(cf.cf_webhooks[0].wh_secret, "s3cret");
	assert_int_equal(cf.cf_webhooks[0].wh_nevents, 3);
	assert_string_equal(cf.cf_webhooks[0].wh_events[0], "complaint.logged");
	assert_string_equal(cf.cf_webhooks[0].wh_events[1], "followup.overdue");
	assert_string_equal(cf.cf_webhooks[0].wh_events[2], "survey.detractor");

	assert_int_equal(cf.cf_nterminals, 5);
	assert_string_equal(cf.cf_terminals[0].tc_id, "K01");
	assert_int_equal(cf.cf_terminals[0].tc_role, ROLE_KIOSK);
	assert_string_equal(cf.cf_terminals[0].tc_staff, "");
	assert_string_equal(cf.cf_terminals[1].tc_id, "T01");
	assert_int_equal(cf.cf_terminals[1].tc_role, ROLE_TELLER);
	assert_string_equal(cf.cf_terminals[1].tc_staff, "E1001");
	assert_string_equal(cf.cf_terminals[2].tc_id, "L01");
	assert_int_equal(cf.cf_terminals[2].tc_role, ROLE_LOBBY);
	assert_string_equal(cf.cf_terminals[2].tc_staff, "E2001");
	assert_string_equal(cf.cf_terminals[3].tc_id, "S01");
	assert_int_equal(cf.cf_terminals[3].tc_role, ROLE_SUPERVISOR);
	assert_string_equal(cf.cf_terminals[3].tc_staff, "E9001");
	assert_string_equal(cf.cf_terminals[4].tc_id, "D01");
	assert_int_equal(cf.cf_terminals[4].tc_role, ROLE_DISPLAY);
	for (i = 0; i < 5; i++) {
		assert_memory_equal(cf.cf_terminals[i].tc_token_sha256, h[i], 32);
		assert_true(token_matches(&cf.cf_terminals[i], tokens[i]));
	}

	tc = config_terminal(&cf, "L01");
	assert_non_null(tc);
	assert_string_equal(tc->tc_staff, "E2001");
	assert_null(config_terminal(&cf, "X99"));
	assert_null(config_terminal(&cf, "l01"));
	assert_true(config_staff_exists(&cf, "E1001"));
	assert_true(config_staff_exists(&cf, "E9001"));
	assert_false(config_staff_exists(&cf, "E1002"));
	assert_false(config_staff_exists(&cf, ""));
	assert_false(config_staff_exists(&cf, NULL));
	for (i = 1; i <= BQ_MAX_WINDOW; i++)
		assert_false(cf.cf_accessible_window[i]);
	config_free(&cf);
	assert_true(zeroed(&cf));
}

/* Values other than the defaults, so a field that is never read shows. */
static void
test_every_field_read(void **state)
{
	struct config	cf;
	char		err[256] = "";
	const char	*text = "{"
	    "\"branch\":\"SH-042\",\"timezone\":\"Europe/Paris\","
	    "\"thresholds_fen\":{\"cash\":1,\"transfer\":1000000000000,\"express_cash\":0},"
	    "\"authority_fen\":{\"teller\":11,\"lobby\":22,\"supervisor\":1e3},"
	    "\"follow_up_hours\":720,\"target_wait_s\":86400,\"max_recalls\":0,"
	    "\"default_service_s\":1,\"accessible_windows\":[1,5,99],"
	    "\"duty_supervisor\":\"E9002\","
	    "\"webhook_connect_timeout_ms\":100,\"webhook_timeout_ms\":300000,"
	    "\"webhook_retry_hours\":720,\"webhook_max_pending\":1,"
	    "\"max_connections\":7,\"hello_timeout_s\":0,\"idle_timeout_s\":604800,"
	    "\"write_timeout_s\":3600,\"subscriber_buffer_bytes\":4096,"
	    "\"auth_max_failures\":1000,\"auth_window_s\":86400,"
	    "\"auth_lockout_s\":2,\"auth_lockout_max_s\":2,"
	    "\"webhooks\":[{" WH_OK "},{\"url\":\"https://h.example/x\","
	    "\"secret\":\"t\",\"events\":[\"survey.detractor\",\"followup.overdue\"]}],"
	    "\"terminals\":[" TERM_S ",{\"id\":\"S02\",\"role\":\"supervisor\","
	    "\"staff\":\"E9002\",\"token_sha256\":\"" HASH "\"},"
	    "{\"id\":\"D01\",\"role\":\"display\",\"staff\":\"\",\"token_sha256\":"
	    "\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\"}]}";

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	assert_int_equal(config_load_text(&cf, "t.json", text, err, sizeof err), 0);
	assert_string_equal(cf.cf_branch, "SH-042");
	assert_string_equal(cf.cf_timezone, "Europe/Paris");
	assert_string_equal(getenv("TZ"), "UTC");	/* the reader only checks it */
	assert_int_equal(cf.cf_cash_threshold_fen, 1);
	assert_int_equal(cf.cf_transfer_threshold_fen, 1000000000000LL);
	assert_int_equal(cf.cf_express_cash_fen, 0);
	assert_int_equal(cf.cf_authority_fen[ROLE_TELLER], 11);
	assert_int_equal(cf.cf_authority_fen[ROLE_LOBBY], 22);
	assert_int_equal(cf.cf_authority_fen[ROLE_SUPERVISOR], 1000);
	assert_int_equal(cf.cf_follow_up_hours, 720);
	assert_int_equal(cf.cf_target_wait_s, 86400);
	assert_int_equal(cf.cf_max_recalls, 0);
	assert_int_equal(cf.cf_default_service_s, 1);
	assert_true(cf.cf_accessible_window[1]);
	assert_true(cf.cf_accessible_window[5]);
	assert_true(cf.cf_accessible_window[99]);
	assert_false(cf.cf_accessible_window[2]);
	assert_false(cf.cf_accessible_window[0]);
	assert_string_equal(cf.cf_duty_supervisor, "E9002");
	assert_int_equal(cf.cf_webhook_connect_timeout_ms, 100);
	assert_int_equal(cf.cf_webhook_timeout_ms, 300000);
	assert_int_equal(cf.cf_webhook_retry_hours, 720);
	assert_int_equal(cf.cf_webhook_max_pending, 1);
	assert_int_equal(cf.cf_max_connections, 7);
	assert_int_equal(cf.cf_hello_timeout_s, 0);
	assert_int_equal(cf.cf_idle_timeout_s, 604800);
	assert_int_equal(cf.cf_write_timeout_s, 3600);
	assert_int_equal(cf.cf_subscriber_buffer_bytes, 4096);
	assert_int_equal(cf.cf_auth_max_failures, 1000);
	assert_int_equal(cf.cf_auth_window_s, 86400);
	assert_int_equal(cf.cf_auth_lockout_s, 2);
	assert_int_equal(cf.cf_auth_lockout_max_s, 2);
	assert_int_equal(cf.cf_nwebhooks, 2);
	assert_string_equal(cf.cf_webhooks[1].wh_url, "https://h.example/x");
	assert_int_equal(cf.cf_webhooks[1].wh_nevents, 2);
	assert_string_equal(cf.cf_webhooks[1].wh_events[0], "survey.detractor");
	/* upper-case hex decodes to the same hash */
	assert_true(token_matches(&cf.cf_terminals[2], "abc"));
	assert_string_equal(cf.cf_terminals[2].tc_staff, "");
	config_free(&cf);
}

static void
test_defaults(void **state)
{
	struct config	cf;
	char		err[256] = "";
	int		i;

	(void)state;
	assert_int_equal(config_load_text(&cf, "t.json", "{\"terminals\":["
	    TERM_K "]}", err, sizeof err), 0);
	assert_string_equal(cf.cf_branch, "BRANCH");
	assert_string_equal(cf.cf_timezone, "Asia/Shanghai");
	assert_int_equal(cf.cf_cash_threshold_fen, 2000000);
	assert_int_equal(cf.cf_transfer_threshold_fen, 5000000);
	assert_int_equal(cf.cf_express_cash_fen, 5000000);
	assert_int_equal(cf.cf_authority_fen[ROLE_NONE], 0);
	assert_int_equal(cf.cf_authority_fen[ROLE_KIOSK], 0);
	assert_int_equal(cf.cf_authority_fen[ROLE_DISPLAY], 0);
	assert_int_equal(cf.cf_authority_fen[ROLE_TELLER], 20000);
	assert_int_equal(cf.cf_authority_fen[ROLE_LOBBY], 50000);
	assert_int_equal(cf.cf_authority_fen[ROLE_SUPERVISOR], 200000);
	assert_int_equal(cf.cf_follow_up_hours, 24);
	assert_int_equal(cf.cf_target_wait_s, 900);
	assert_int_equal(cf.cf_max_recalls, 2);
	assert_int_equal(cf.cf_default_service_s, 300);
	assert_int_equal(cf.cf_webhook_connect_timeout_ms, 5000);
	assert_int_equal(cf.cf_webhook_timeout_ms, 10000);
	assert_int_equal(cf.cf_webhook_retry_hours, 24);
	assert_int_equal(cf.cf_webhook_max_pending, 10000);
	/* docs/SECURITY.md; issue 6 needs 10,000 idle terminals */
	assert_int_equal(cf.cf_max_connections, 16384);
	assert_int_equal(cf.cf_hello_timeout_s, 10);
	assert_int_equal(cf.cf_idle_timeout_s, 0);
	assert_int_equal(cf.cf_write_timeout_s, 60);
	assert_int_equal(cf.cf_subscriber_buffer_bytes, 1048576);
	assert_int_equal(cf.cf_auth_max_failures, 10);
	assert_int_equal(cf.cf_auth_window_s, 60);
	assert_int_equal(cf.cf_auth_lockout_s, 60);
	assert_int_equal(cf.cf_auth_lockout_max_s, 3600);
	assert_null(cf.cf_duty_supervisor);	/* no supervisor terminal */
	for (i = 0; i <= BQ_MAX_WINDOW; i++)
		assert_false(cf.cf_accessible_window[i]);
	assert_int_equal(cf.cf_nwebhooks, 0);
	assert_null(cf.cf_webhooks);
	assert_int_equal(cf.cf_nterminals, 1);
	assert_false(cf.cf_demo);
	config_free(&cf);

	/* A partial object keeps the other defaults. */
	assert_int_equal(config_load_text(&cf, "t.json", "{\"thresholds_fen\":"
	    "{\"cash\":7},\"authority_fen\":{\"lobby\":8},\"accessible_windows\":[],"
	    "\"webhooks\":[]," TERMS "}", err, sizeof err), 0);
	assert_int_equal(cf.cf_cash_threshold_fen, 7);
	assert_int_equal(cf.cf_transfer_threshold_fen, 5000000);
	assert_int_equal(cf.cf_express_cash_fen, 5000000);
	assert_int_equal(cf.cf_authority_fen[ROLE_TELLER], 20000);
	assert_int_equal(cf.cf_authority_fen[ROLE_LOBBY], 8);
	assert_int_equal(cf.cf_authority_fen[ROLE_SUPERVISOR], 200000);
	/* duty supervisor defaults to the first supervisor terminal's staff */
	assert_string_equal(cf.cf_duty_supervisor, "E9001");
	config_free(&cf);

	assert_int_equal(config_load_text(&cf, "t.json", "{\"terminals\":["
	    TERM_K ",{\"id\":\"S07\",\"role\":\"supervisor\",\"staff\":\"E7\","
	    "\"token_sha256\":\"" HASH "\"}," TERM_S "]}", err, sizeof err), 0);
	assert_string_equal(cf.cf_duty_supervisor, "E7");
	config_free(&cf);
}

static void
test_errors_scalars(void **state)
{
	static const struct bad_case cases[] = {
		{ "[1]", "t.json: must be a JSON object" },
		{ "\"x\"", "must be a JSON object" },
		{ "{\"branch\":5," TERMS "}", "branch: must be a string" },
		{ "{\"branch\":\"\"," TERMS "}", "branch: must be" },
		{ "{\"branch\":\"a\\nb\"," TERMS "}", "branch: must be" },
		{ "{\"timezone\":\"Mars/Olympus\"," TERMS "}",
		  "t.json: timezone: unknown time zone \"Mars/Olympus\"" },
		{ "{\"timezone\":\"../etc/passwd\"," TERMS "}",
		  "timezone: unknown time zone" },
		{ "{\"timezone\":\"\"," TERMS "}", "timezone: unknown time zone \"\"" },
		{ "{\"timezone\":8," TERMS "}", "timezone: must be a string" },
		{ "{\"follow_up_hours\":0," TERMS "}",
		  "follow_up_hours: must be an integer from 1 to 720" },
		{ "{\"follow_up_hours\":721," TERMS "}",
		  "follow_up_hours: must be an integer from 1 to 720" },
		{ "{\"follow_up_hours\":24.5," TERMS "}", "follow_up_hours: must be" },
		{ "{\"follow_up_hours\":\"24\"," TERMS "}", "follow_up_hours: must be" },
		{ "{\"follow_up_hours\":null," TERMS "}", "follow_up_hours: must be" },
		{ "{\"target_wait_s\":0," TERMS "}",
		  "target_wait_s: must be an integer from 1 to 86400" },
		{ "{\"target_wait_s\":86401," TERMS "}",
		  "target_wait_s: must be an integer from 1 to 86400" },
		{ "{\"max_recalls\":-1," TERMS "}",
		  "max_recalls: must be an integer from 0 to 10" },
		{ "{\"max_recalls\":11," TERMS "}",
		  "max_recalls: must be an integer from 0 to 10" },
		{ "{\"max_recalls\":true," TERMS "}", "max_recalls: must be" },
		{ "{\"max_recalls\":1e400," TERMS "}", "max_recalls: must be" },
		{ "{\"default_service_s\":0," TERMS "}",
		  "default_service_s: must be an integer from 1 to 86400" },
		{ "{\"default_service_s\":86401," TERMS "}",
		  "default_service_s: must be an integer from 1 to 86400" },
		{ "{\"max_recalls\":1,\"max_recalls\":2," TERMS "}",
		  "max_recalls: duplicate key" },
		/* limits (docs/SECURITY.md) */
		{ "{\"max_connections\":0," TERMS "}",
		  "max_connections: must be an integer from 1 to 1000000" },
		{ "{\"max_connections\":1000001," TERMS "}",
		  "max_connections: must be an integer from 1 to 1000000" },
		{ "{\"max_connections\":1.5," TERMS "}", "max_connections: must be" },
		{ "{\"hello_timeout_s\":-1," TERMS "}",
		  "hello_timeout_s: must be an integer from 0 to 3600" },
		{ "{\"hello_timeout_s\":3601," TERMS "}",
		  "hello_timeout_s: must be an integer from 0 to 3600" },
		{ "{\"idle_timeout_s\":-1," TERMS "}",
		  "idle_timeout_s: must be an integer from 0 to 604800" },
		{ "{\"idle_timeout_s\":604801," TERMS "}",
		  "idle_timeout_s: must be an integer from 0 to 604800" },
		{ "{\"write_timeout_s\":0," TERMS "}",
		  "write_timeout_s: must be an integer from 1 to 3600" },
		{ "{\"write_timeout_s\":3601," TERMS "}",
		  "write_timeout_s: must be an integer from 1 to 3600" },
		{ "{\"subscriber_buffer_bytes\":4095," TERMS "}",
		  "subscriber_buffer_bytes: must be an integer from 4096 to 1048576" },
		{ "{\"subscriber_buffer_bytes\":1048577," TERMS "}",
		  "subscriber_buffer_bytes: must be an integer from 4096 to 1048576" },
		{ "{\"auth_max_failures\":0," TERMS "}",
		  "auth_max_failures: must be an integer from 1 to 1000" },
		{ "{\"auth_max_failures\":1001," TERMS "}",
		  "auth_max_failures: must be an integer from 1 to 1000" },
		{ "{\"auth_window_s\":0," TERMS "}",
		  "auth_window_s: must be an integer from 1 to 86400" },
		{ "{\"auth_window_s\":86401," TERMS "}",
		  "auth_window_s: must be an integer from 1 to 86400" },
		{ "{\"auth_lockout_s\":0," TERMS "}",
		  "auth_lockout_s: must be an integer from 1 to 86400" },
		{ "{\"auth_lockout_s\":86401," TERMS "}",
		  "auth_lockout_s: must be an integer from 1 to 86400" },
		{ "{\"auth_lockout_max_s\":0," TERMS "}",
		  "auth_lockout_max_s: must be an integer from 1 to 604800" },
		{ "{\"auth_lockout_max_s\":604801," TERMS "}",
		  "auth_lockout_max_s: must be an integer from 1 to 604800" },
		{ "{\"auth_lockout_max_s\":59," TERMS "}",
		  "auth_lockout_max_s: must be at least auth_lockout_s (60)" },
		{ "{\"auth_lockout_s\":100,\"auth_lockout_max_s\":99," TERMS "}",
		  "auth_lockout_max_s: must be at least auth_lockout_s (100)" },
		{ "{\"max_connections\":\"10\"," TERMS "}", "max_connections: must be" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

static void
test_errors_money(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"thresholds_fen\":5," TERMS "}",
		  "thresholds_fen: must be an object" },
		{ "{\"thresholds_fen\":{\"cash\":1.5}," TERMS "}",
		  "t.json: thresholds_fen.cash: must be an integer from 0 to 1000000000000" },
		{ "{\"thresholds_fen\":{\"cash\":1e400}," TERMS "}",
		  "thresholds_fen.cash: must be an integer from 0 to 1000000000000" },
		{ "{\"thresholds_fen\":{\"cash\":-1e400}," TERMS "}",
		  "thresholds_fen.cash: must be an integer" },
		{ "{\"thresholds_fen\":{\"cash\":-1}," TERMS "}",
		  "thresholds_fen.cash: must be an integer" },
		{ "{\"thresholds_fen\":{\"cash\":1000000000001}," TERMS "}",
		  "thresholds_fen.cash: must be an integer" },
		{ "{\"thresholds_fen\":{\"cash\":\"100\"}," TERMS "}",
		  "thresholds_fen.cash: must be an integer" },
		{ "{\"thresholds_fen\":{\"transfer\":1e13}," TERMS "}",
		  "thresholds_fen.transfer: must be an integer" },
		{ "{\"thresholds_fen\":{\"express_cash\":true}," TERMS "}",
		  "thresholds_fen.express_cash: must be an integer" },
		{ "{\"authority_fen\":[]," TERMS "}",
		  "authority_fen: must be an object" },
		{ "{\"authority_fen\":{\"teller\":-5}," TERMS "}",
		  "authority_fen.teller: must be an integer from 0 to 1000000000000" },
		{ "{\"authority_fen\":{\"lobby\":0.5}," TERMS "}",
		  "authority_fen.lobby: must be an integer" },
		{ "{\"authority_fen\":{\"supervisor\":2e12}," TERMS "}",
		  "authority_fen.supervisor: must be an integer" },
		{ "{\"authority_fen\":{\"teller\":1,\"teller\":2}," TERMS "}",
		  "authority_fen.teller: duplicate key" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

static void
test_errors_accessible_windows(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"accessible_windows\":\"3\"," TERMS "}",
		  "accessible_windows: must be an array" },
		{ "{\"accessible_windows\":[0]," TERMS "}",
		  "accessible_windows[0]: must be an integer from 1 to 99" },
		{ "{\"accessible_windows\":[2,100]," TERMS "}",
		  "accessible_windows[1]: must be an integer from 1 to 99" },
		{ "{\"accessible_windows\":[2.5]," TERMS "}",
		  "accessible_windows[0]: must be an integer" },
		{ "{\"accessible_windows\":[3,4,3]," TERMS "}",
		  "accessible_windows[2]: duplicate window 3" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

#define T(body)	"{\"terminals\":[" TERM_K "," body "]}"
#define TOK	",\"token_sha256\":\"" HASH "\""

static void
test_errors_terminals(void **state)
{
	static const struct bad_case cases[] = {
		{ "{}", "t.json: terminals: required" },
		{ "{\"branch\":\"X\"}", "terminals: required" },
		{ "{\"terminals\":[]}", "t.json: terminals: no terminals configured: "
		  "add one object per kiosk, display and counter (see branchq.json(5)); "
		  "make each token with \"branchq token\"" },
		{ "{\"terminals\":{}}", "terminals: must be a non-empty array" },
		{ "{\"terminals\":[5]}", "terminals[0]: must be an object" },
		{ T("{\"role\":\"kiosk\"" TOK "}"), "terminals[1].id: must be 1 to 32" },
		{ T("{\"id\":\"\",\"role\":\"kiosk\"" TOK "}"), "terminals[1].id: must be" },
		{ T("{\"id\":\"K 2\",\"role\":\"kiosk\"" TOK "}"), "terminals[1].id: must be" },
		{ T("{\"id\":\"K\\u00e9\",\"role\":\"kiosk\"" TOK "}"), "terminals[1].id: must be" },
		{ T("{\"id\":7,\"role\":\"kiosk\"" TOK "}"), "terminals[1].id: must be" },
		{ T("{\"id\":\"abcdefghijABCDEFGHIJ0123456789_-X\",\"role\":\"kiosk\"" TOK "}"),
		  "terminals[1].id: must be 1 to 32" },
		{ T("{\"id\":\"K01\",\"role\":\"kiosk\"" TOK "}"),
		  "terminals[1].id: duplicate id \"K01\"" },
		{ T("{\"id\":\"M01\",\"role\":\"manager\"" TOK "}"),
		  "t.json: terminals[1].role: must be one of kiosk, display, teller, lobby, supervisor" },
		{ T("{\"id\":\"M01\"" TOK "}"), "terminals[1].role: must be one of" },
		{ T("{\"id\":\"M01\",\"role\":\"Teller\",\"staff\":\"E1\"" TOK "}"),
		  "terminals[1].role: must be one of" },
		{ T("{\"id\":\"T01\",\"role\":\"teller\"" TOK "}"),
		  "terminals[1].staff: required for a teller" },
		{ T("{\"id\":\"L01\",\"role\":\"lobby\",\"staff\":\"\"" TOK "}"),
		  "terminals[1].staff: must be 1 to 32" },
		{ T("{\"id\":\"S01\",\"role\":\"supervisor\",\"staff\":\"E 1\"" TOK "}"),
		  "terminals[1].staff: must be" },
		{ T("{\"id\":\"S01\",\"role\":\"supervisor\",\"staff\":5" TOK "}"),
		  "terminals[1].staff: must be" },
		{ T("{\"id\":\"S01\",\"role\":\"supervisor\","
		    "\"staff\":\"E23456789012345678901234567890123\"" TOK "}"),
		  "terminals[1].staff: must be 1 to 32" },
		{ T("{\"id\":\"K02\",\"role\":\"kiosk\",\"staff\":\"E1\"" TOK "}"),
		  "terminals[1].staff: must be absent or empty for a kiosk" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"staff\":5" TOK "}"),
		  "terminals[1].staff: must be absent or empty for a display" },
		{ T("{\"id\":\"D01\",\"role\":\"display\"}"),
		  "terminals[1].token_sha256: required" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"token_sha256\":"
		    "\"a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}"),
		  "terminals[1].token_sha256: must be 64 hex digits" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"token_sha256\":"
		    "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0\"}"),
		  "terminals[1].token_sha256: must be 64 hex digits" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"token_sha256\":"
		    "\"ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}"),
		  "terminals[1].token_sha256: must be 64 hex digits" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"token_sha256\":"
		    "\"kiosk-demo\"}"),
		  "terminals[1].token_sha256: must be 64 hex digits" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"token_sha256\":1}"),
		  "terminals[1].token_sha256: must be 64 hex digits" },
		{ T("{\"id\":\"D01\",\"id\":\"D02\",\"role\":\"display\"" TOK "}"),
		  "terminals[1].id: duplicate key" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

/* PROTOCOL "Kiosk printers": an IP literal and a port, on a kiosk only. */
static void
test_printer(void **state)
{
	static const char *const good[] = {
		"192.168.1.50:9100", "127.0.0.1:1", "[::1]:9100", "[fe80::1]:65535",
	};
	struct config	cf;
	char		text[512], err[512];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(text, sizeof text, "{\"terminals\":[{\"id\":\"K01\",\"role\":"
		    "\"kiosk\",\"printer\":\"%s\"" TOK "}," TERM_T "]}", good[i]);
		err[0] = '\0';
		if (config_load_text(&cf, "t.json", text, err, sizeof err) != 0)
			fail_msg("%s: %s", good[i], err);
		assert_string_equal(cf.cf_terminals[0].tc_printer, good[i]);
		assert_string_equal(cf.cf_terminals[1].tc_printer, "");
		config_free(&cf);
	}
	/* None by default, and none in the demo. */
	assert_int_equal(config_load_text(&cf, "t.json", "{" TERMS "}", err, sizeof err), 0);
	assert_string_equal(cf.cf_terminals[0].tc_printer, "");
	config_free(&cf);
	config_demo(&cf);
	for (i = 0; i < cf.cf_nterminals; i++)
		assert_string_equal(cf.cf_terminals[i].tc_printer, "");
	config_free(&cf);
}

#define KP(v)	T("{\"id\":\"K02\",\"role\":\"kiosk\",\"printer\":" v TOK "}")

static void
test_errors_printer(void **state)
{
	static const struct bad_case cases[] = {
		{ T("{\"id\":\"T01\",\"role\":\"teller\",\"staff\":\"E1\","
		    "\"printer\":\"10.0.0.5:9100\"" TOK "}"),
		  "t.json: terminals[1].printer: terminal T01 is a teller; only a kiosk has a printer" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"printer\":\"10.0.0.5:9100\"" TOK "}"),
		  "terminals[1].printer: terminal D01 is a display; only a kiosk" },
		{ KP("9100"), "t.json: terminals[1].printer: terminal K02: must be a string" },
		{ KP("null"), "terminals[1].printer: terminal K02: must be a string" },
		{ KP("\"printer.local:9100\""),
		  "terminals[1].printer: terminal K02: \"printer.local:9100\" must be IP:PORT "
		  "or [IPv6]:PORT, a numeric address (no host names)" },
		{ KP("\"localhost:9100\""), "terminals[1].printer: terminal K02: \"localhost:9100\" must be" },
		{ KP("\"10.0.0.5\""), "terminals[1].printer: terminal K02: \"10.0.0.5\" must be" },
		{ KP("\"10.0.0.5:\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"10.0.0.5:0\""), "terminals[1].printer: terminal K02: \"10.0.0.5:0\" must be" },
		{ KP("\"10.0.0.5:65536\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"10.0.0.5:91x\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"10.0.0.256:9100\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"::1:9100\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"[::1]\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"[printer]:9100\""), "terminals[1].printer: terminal K02:" },
		{ KP("\"\""), "terminals[1].printer: terminal K02:" },
		{ KP("\" 10.0.0.5:9100\""), "terminals[1].printer: terminal K02:" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

static void
test_errors_duty_supervisor(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"duty_supervisor\":\"E1001\"," TERMS "}",
		  "t.json: duty_supervisor: \"E1001\" is not the staff id of a supervisor terminal" },
		{ "{\"duty_supervisor\":\"E0000\"," TERMS "}",
		  "duty_supervisor: \"E0000\" is not" },
		{ "{\"duty_supervisor\":\"\"," TERMS "}", "duty_supervisor: \"\" is not" },
		{ "{\"duty_supervisor\":\"E9001\",\"terminals\":[" TERM_K "]}",
		  "duty_supervisor: \"E9001\" is not" },
		{ "{\"duty_supervisor\":9001," TERMS "}",
		  "duty_supervisor: must be a string" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

#define W(body)	"{\"webhooks\":[" body "]," TERMS "}"

#define HQ(x)	"{\"hq\":" x "," TERMS "}"
#define HQ_CI	"\"conninfo\":\"host=hq.bank.example dbname=hq user=nj001 " \
		"sslmode=verify-full sslrootcert=/etc/branchq/hq-ca.pem\""

/* HEADOFFICE: "hq" read into cf_hq, with the defaults; none without it. */
static void
test_hq(void **state)
{
	struct config		cf;
	struct hq_settings	hs;
	char			err[512];

	(void)state;
	assert_int_equal(config_load_text(&cf, "t.json", "{" TERMS "}", err, sizeof err), 0);
	assert_null(cf.cf_hq.hq_conninfo);
	config_hq_settings(&cf, &hs);
	assert_null(hs.hs_conninfo);
	config_free(&cf);

	assert_int_equal(config_load_text(&cf, "t.json", HQ("{" HQ_CI "}"), err,
	    sizeof err), 0);
	assert_string_equal(cf.cf_hq.hq_conninfo, "host=hq.bank.example dbname=hq user=nj001 "
	    "sslmode=verify-full sslrootcert=/etc/branchq/hq-ca.pem");
	assert_null(cf.cf_hq.hq_region);
	assert_int_equal(cf.cf_hq.hq_keep_days, 7);
	assert_int_equal(cf.cf_hq.hq_batch_events, 1000);
	assert_int_equal(cf.cf_hq.hq_retry_max_s, 60);
	assert_int_equal(cf.cf_hq.hq_timeout_s, 120);
	config_free(&cf);

	assert_int_equal(config_load_text(&cf, "t.json", "{\"branch\":\"NJ001\","
	    "\"target_wait_s\":600,\"hq\":{" HQ_CI ",\"region\":\"Jiangsu\",\"keep_days\":3650,"
	    "\"batch_events\":10000,\"retry_max_s\":3600,\"timeout_s\":600}," TERMS "}", err,
	    sizeof err), 0);
	config_hq_settings(&cf, &hs);
	assert_string_equal(hs.hs_branch, "NJ001");
	assert_string_equal(hs.hs_region, "Jiangsu");
	assert_ptr_equal(hs.hs_conninfo, cf.cf_hq.hq_conninfo);
	assert_int_equal(hs.hs_keep_days, 3650);
	assert_int_equal(hs.hs_batch_events, 10000);
	assert_int_equal(hs.hs_retry_max_s, 3600);
	assert_int_equal(hs.hs_timeout_s, 600);
	assert_int_equal(hs.hs_target_wait_s, 600);
	config_free(&cf);

	/* A Unix-socket directory needs no TLS; the lowest values are taken. */
	assert_int_equal(config_load_text(&cf, "t.json", HQ("{\"conninfo\":\"host=/run/postgresql "
	    "dbname=hq\",\"keep_days\":1,\"batch_events\":1,\"retry_max_s\":1,\"timeout_s\":1}"),
	    err, sizeof err), 0);
	assert_string_equal(cf.cf_hq.hq_conninfo, "host=/run/postgresql dbname=hq");
	assert_int_equal(cf.cf_hq.hq_keep_days, 1);
	config_free(&cf);
	/* The URI form libpq reads too. */
	assert_int_equal(config_load_text(&cf, "t.json", HQ("{\"conninfo\":\"postgresql://nj001@"
	    "hq.bank.example/hq?sslmode=verify-full\"}"), err, sizeof err), 0);
	config_free(&cf);
}

static void
test_errors_hq(void **state)
{
	static const struct bad_case cases[] = {
		{ HQ("5"), "hq: must be an object" },
		{ HQ("{}"), "hq.conninfo: required" },
		{ HQ("{\"region\":\"Jiangsu\"}"), "hq.conninfo: required" },
		{ HQ("{" HQ_CI ",\"bogus\":1}"), "hq.bogus: unknown key" },
		{ HQ("{" HQ_CI ",\"region\":\"a\",\"region\":\"b\"}"), "hq.region: duplicate key" },
		{ HQ("{\"conninfo\":5}"), "hq.conninfo: must be a libpq connection string" },
		{ HQ("{\"conninfo\":\"\"}"), "hq.conninfo: must be a libpq connection string" },
		{ HQ("{\"conninfo\":\"host=h\\u0001 sslmode=verify-full\"}"),
		  "hq.conninfo: must be a libpq connection string" },
		{ HQ("{\"conninfo\":\"host=hq dbname\"}"), "hq.conninfo: libpq cannot read it: "
		  "missing \"=\" after \"dbname\"" },
		{ HQ("{\"conninfo\":\"host=hq colour=blue sslmode=verify-full\"}"),
		  "hq.conninfo: libpq cannot read it: invalid connection option \"colour\"" },
		{ HQ("{\"conninfo\":\"dbname=hq sslmode=verify-full\"}"),
		  "hq.conninfo: host is required" },
		{ HQ("{\"conninfo\":\"hostaddr=10.1.2.3 dbname=hq sslmode=verify-full\"}"),
		  "hq.conninfo: host is required" },
		{ HQ("{\"conninfo\":\"host=hq.bank.example dbname=hq\"}"),
		  "hq.conninfo: sslmode must be verify-full over a network (host=hq.bank.example)" },
		{ HQ("{\"conninfo\":\"host=10.1.2.3 dbname=hq sslmode=require\"}"),
		  "hq.conninfo: sslmode must be verify-full over a network (host=10.1.2.3)" },
		{ HQ("{\"conninfo\":\"host=hq sslmode=verify-ca\"}"),
		  "hq.conninfo: sslmode must be verify-full" },
		{ HQ("{\"conninfo\":\"host=a,b sslmode=verify-full\"}"),
		  "hq.conninfo: one host only" },
		{ HQ("{\"conninfo\":\"host=a port=5432,5433 sslmode=verify-full\"}"),
		  "hq.conninfo: one host only" },
		{ HQ("{\"conninfo\":\"service=hq\"}"), "hq.conninfo: service is not allowed" },
		{ HQ("{" HQ_CI ",\"region\":\"\"}"), "hq.region: must be a non-empty string of at "
		  "most 64 bytes" },
		{ HQ("{" HQ_CI ",\"region\":7}"), "hq.region: must be a non-empty string" },
		{ HQ("{" HQ_CI ",\"region\":\"0123456789012345678901234567890123456789"
		  "01234567890123456789012345\"}"), "hq.region: must be a non-empty string of at "
		  "most 64 bytes" },
		{ HQ("{" HQ_CI ",\"keep_days\":0}"), "hq.keep_days: must be an integer from 1 to 3650" },
		{ HQ("{" HQ_CI ",\"keep_days\":3651}"), "hq.keep_days: must be an integer from 1 to 3650" },
		{ HQ("{" HQ_CI ",\"keep_days\":1.5}"), "hq.keep_days: must be an integer" },
		{ HQ("{" HQ_CI ",\"batch_events\":0}"),
		  "hq.batch_events: must be an integer from 1 to 10000" },
		{ HQ("{" HQ_CI ",\"batch_events\":10001}"),
		  "hq.batch_events: must be an integer from 1 to 10000" },
		{ HQ("{" HQ_CI ",\"retry_max_s\":0}"),
		  "hq.retry_max_s: must be an integer from 1 to 3600" },
		{ HQ("{" HQ_CI ",\"retry_max_s\":\"60\"}"),
		  "hq.retry_max_s: must be an integer from 1 to 3600" },
		{ HQ("{" HQ_CI ",\"timeout_s\":601}"), "hq.timeout_s: must be an integer from 1 to 600" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

/* Each problem of "hq" on its own line, all of them reported. */
static void
test_errors_hq_lines(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"hq\": {\n"
	    "    \"conninfo\": \"host=hq.bank.example dbname=hq\",\n"
	    "    \"region\": \"\",\n"
	    "    \"keep_days\": 0,\n"
	    "    \"colour\": 1\n"
	    "  },\n"
	    "  " TERMS "\n"
	    "}\n";
	struct config	cf;
	struct problems	pr;

	(void)state;
	memset(&pr, 0, sizeof pr);
	assert_int_equal(config_load_text_report(&cf, "t.json", text, collect, &pr), 4);
	assert_int_equal(pr.p_n, 4);
	assert_non_null(strstr(pr.p_line[0], "t.json:3: hq.conninfo: sslmode must be"));
	assert_non_null(strstr(pr.p_line[1], "t.json:4: hq.region: must be"));
	assert_non_null(strstr(pr.p_line[2], "t.json:5: hq.keep_days: must be"));
	assert_non_null(strstr(pr.p_line[3], "t.json:6: hq.colour: unknown key"));
	assert_true(zeroed(&cf));
}

static void
test_errors_webhooks(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"webhooks\":{}," TERMS "}", "webhooks: must be an array" },
		{ W("5"), "webhooks[0]: must be an object" },
		{ W("{" WH_OK "},7"), "webhooks[1]: must be an object" },
		{ W("{\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be an http:// or https:// URL" },
		{ W("{\"url\":\"ftp://h/x\",\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be an http:// or https:// URL" },
		{ W("{\"url\":\"http://\",\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be" },
		{ W("{\"url\":\"HTTP://h/\",\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be" },
		{ W("{\"url\":\"http://h/a b\",\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be" },
		{ W("{\"url\":5,\"secret\":\"s\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].url: must be" },
		{ W("{\"url\":\"http://h/\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].secret: must be a non-empty string" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"\",\"events\":[\"complaint.logged\"]}"),
		  "webhooks[0].secret: must be a non-empty string" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\"}"),
		  "webhooks[0].events: must be a non-empty array" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\",\"events\":[]}"),
		  "webhooks[0].events: must be a non-empty array" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\",\"events\":\"complaint.logged\"}"),
		  "webhooks[0].events: must be a non-empty array" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\",\"events\":[\"ticket.called\"]}"),
		  "webhooks[0].events[0]: must be one of complaint.logged, followup.overdue, survey.detractor" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\",\"events\":[\"survey.detractor\",5]}"),
		  "webhooks[0].events[1]: must be one of" },
		{ W("{\"url\":\"http://h/\",\"secret\":\"s\",\"events\":"
		    "[\"complaint.logged\",\"followup.overdue\",\"complaint.logged\"]}"),
		  "webhooks[0].events[2]: duplicate event \"complaint.logged\"" },
		/* Deliveries name their receiver by URL. */
		{ W("{" WH_OK "},{\"url\":\"https://h.example/x\",\"secret\":\"t\","
		    "\"events\":[\"survey.detractor\"]},{" WH_OK "}"),
		  "webhooks[2].url: the same URL as webhooks[0]" },
		{ "{\"webhook_connect_timeout_ms\":99," TERMS "}",
		  "webhook_connect_timeout_ms: must be an integer from 100 to 60000" },
		{ "{\"webhook_timeout_ms\":300001," TERMS "}",
		  "webhook_timeout_ms: must be an integer from 100 to 300000" },
		{ "{\"webhook_retry_hours\":0," TERMS "}",
		  "webhook_retry_hours: must be an integer from 1 to 720" },
		{ "{\"webhook_max_pending\":0.5," TERMS "}",
		  "webhook_max_pending: must be an integer from 1 to 1000000" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

static void
test_webhook_url_length(void **state)
{
	struct config	 cf;
	char		 err[256];
	char		*text, *url;
	size_t		 n;
	int		 rc;

	(void)state;
	text = malloc(8192);
	url = malloc(4096);
	assert_non_null(text);
	assert_non_null(url);
	/* exactly 2048 characters: accepted */
	n = 2048;
	memset(url, 'a', n);
	memcpy(url, "https://", 8);
	url[n] = '\0';
	snprintf(text, 8192, "{\"webhooks\":[{\"url\":\"%s\",\"secret\":\"s\","
	    "\"events\":[\"followup.overdue\"]}]," TERMS "}", url);
	rc = config_load_text(&cf, "t.json", text, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(strlen(cf.cf_webhooks[0].wh_url), 2048);
	config_free(&cf);
	/* 2049: refused */
	url[n] = 'a';
	url[n + 1] = '\0';
	snprintf(text, 8192, "{\"webhooks\":[{\"url\":\"%s\",\"secret\":\"s\","
	    "\"events\":[\"followup.overdue\"]}]," TERMS "}", url);
	rc = config_load_text(&cf, "t.json", text, err, sizeof err);
	free(text);
	free(url);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, "t.json:1: webhooks[0].url: must be"));
	assert_true(zeroed(&cf));
}

/* http_hosts: names only; what is shown of a bad one is one safe line. */
static void
test_errors_http_hosts(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"http_hosts\":\"a.example\"," TERMS "}",
		  "t.json: http_hosts: must be an array of host names" },
		{ "{\"http_hosts\":[\"a.example\",\"\"]," TERMS "}",
		  "t.json: http_hosts[1]: must be a host name" },
		{ "{\"http_hosts\":[7]," TERMS "}", "t.json: http_hosts[0]: must be a host name" },
		{ "{\"http_hosts\":[\"a.example:8080\"]," TERMS "}",
		  "t.json: http_hosts[0]: \"a.example:8080\" is not a host name" },
		/* fuzz_config found the newline in the message */
		{ "{\"http_hosts\":[\"a\\nb\\\"c\"]," TERMS "}",
		  "t.json: http_hosts[0]: \"a?b?c\" is not a host name" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

static void
test_unknown_keys(void **state)
{
	static const struct bad_case cases[] = {
		{ "{\"colour\":\"red\"," TERMS "}", "t.json: colour: unknown key" },
		{ "{" TERMS ",\"max_recall\":3}", "t.json: max_recall: unknown key" },
		{ "{\"thresholds_fen\":{\"cash\":1,\"cashh\":2}," TERMS "}",
		  "t.json: thresholds_fen.cashh: unknown key" },
		{ "{\"authority_fen\":{\"kiosk\":0}," TERMS "}",
		  "t.json: authority_fen.kiosk: unknown key" },
		{ T("{\"id\":\"D01\",\"role\":\"display\",\"tokn\":\"x\"" TOK "}"),
		  "t.json: terminals[1].tokn: unknown key" },
		{ W("{" WH_OK ",\"secrets\":\"x\"}"),
		  "t.json: webhooks[0].secrets: unknown key" },
		/* the key is shown safely: one line, no quotes */
		{ "{\"a\\nb\\\"c\":1," TERMS "}", "t.json: a?b?c: unknown key" },
	};

	(void)state;
	EXPECT_ERRORS(cases);
}

/* A syntax error: one problem, at the line cJSON stopped on. */
static void
test_bad_json(void **state)
{
	static const struct {
		const char	*text;
		int		 line;
	} cases[] = {
		{ "", 1 },
		{ "{", 1 },
		{ "{\n  \"branch\": \"X\",\n  \"max_recalls\": ,\n" TERMS "}", 3 },
		{ "{\n\n\n\n\"terminals\": [\n" TERM_K ",\n]\n}\n", 7 },
		{ "{" TERMS "}\n\ngarbage", 3 },
		{ "{\"a\":1}{\"b\":2}", 1 },
		/* the unknown key before the error is not checked: nothing is */
		{ "{\"colour\":1,\n\"terminals\":[\n" TERM_K "\n,,]}", 4 },
	};
	struct config	cf;
	struct problems	pr;
	char		want[128];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&cf, 0xa5, sizeof cf);
		memset(&pr, 0, sizeof pr);
		assert_int_equal(config_load_text_report(&cf, "t.json", cases[i].text,
		    collect, &pr), 1);
		assert_int_equal(pr.p_n, 1);
		snprintf(want, sizeof want, "t.json:%d: invalid JSON (nothing after "
		    "this line can be checked)", cases[i].line);
		assert_string_equal(pr.p_line[0], want);
		assert_true(zeroed(&cf));
	}
}

static char *
write_temp(const void *data, size_t len)
{
	static char	path[64];
	int		fd;

	snprintf(path, sizeof path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void
test_load_file(void **state)
{
	static const char text[] = "{\"branch\":\"F-1\"," TERMS "}\n";
	struct config	 cf;
	char		 err[512] = "", want[600], *path, *big;
	size_t		 n;

	(void)state;
	path = write_temp(text, sizeof text - 1);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), 0);
	assert_string_equal(cf.cf_branch, "F-1");
	assert_int_equal(cf.cf_nterminals, 3);
	config_free(&cf);
	unlink(path);

	/* errors name the path given */
	path = write_temp("{\n\"terminals\":[]}", 17);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: terminals: no terminals configured", path);
	assert_non_null(strstr(err, want));
	assert_true(zeroed(&cf));
	unlink(path);

	path = write_temp("{\n\n\"terminals\":x}", 17);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:3: invalid JSON (nothing after this line "
	    "can be checked)", path);
	assert_string_equal(err, want);
	unlink(path);

	/* a NUL byte would hide the rest from cJSON */
	path = write_temp("{" TERMS "}\n\0garbage", sizeof("{" TERMS "}\n\0garbage") - 1);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s:2: invalid JSON (a NUL byte", path);
	assert_non_null(strstr(err, want));
	unlink(path);

	/* over 1 MiB: refused even though it is valid JSON */
	n = 1024 * 1024 + 1;
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{" TERMS "}", sizeof("{" TERMS "}") - 1);
	path = write_temp(big, n);
	free(big);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: larger than", path);
	assert_non_null(strstr(err, want));
	assert_true(zeroed(&cf));
	unlink(path);

	/* exactly 1 MiB is fine */
	n = 1024 * 1024;
	big = malloc(n);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{" TERMS "}", sizeof("{" TERMS "}") - 1);
	path = write_temp(big, n);
	free(big);
	assert_int_equal(config_load_file(&cf, path, err, sizeof err), 0);
	config_free(&cf);
	unlink(path);
}

static void
test_missing_file(void **state)
{
	struct config	cf;
	char		err[256] = "";

	(void)state;
	memset(&cf, 0xa5, sizeof cf);
	assert_int_equal(config_load_file(&cf, "/nonexistent/branchq.json", err,
	    sizeof err), -1);
	assert_string_equal(err,
	    "/nonexistent/branchq.json: cannot read: No such file or directory");
	assert_true(zeroed(&cf));
	config_free(&cf);

	assert_int_equal(config_load_file(&cf, "/tmp", err, sizeof err), -1);
	assert_non_null(strstr(err, "/tmp: cannot read: "));

	/* a tiny error buffer is truncated, not overrun */
	assert_int_equal(config_load_file(&cf, "/nonexistent/x", err, 8), -1);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(config_load_text(&cf, "t.json", "{}", NULL, 0), -1);
}

static void
test_token_matches(void **state)
{
	struct terminal_conf	tc;

	(void)state;
	memset(&tc, 0, sizeof tc);
	sha256("s3cret-token", 12, tc.tc_token_sha256);
	assert_true(token_matches(&tc, "s3cret-token"));
	assert_false(token_matches(&tc, "s3cret-toke"));
	assert_false(token_matches(&tc, "s3cret-token "));
	assert_false(token_matches(&tc, "S3cret-token"));
	assert_false(token_matches(&tc, ""));
	assert_false(token_matches(&tc, NULL));
	assert_false(token_matches(NULL, "s3cret-token"));
}

static void
test_demo(void **state)
{
	struct config			 cf;
	const struct demo_terminal	*dt;
	const struct terminal_conf	*tc;
	size_t				 n = 0;

	(void)state;
	config_demo(&cf);
	assert_true(cf.cf_demo);
	assert_string_equal(cf.cf_branch, "DEMO-001");
	assert_string_equal(cf.cf_timezone, "Asia/Shanghai");
	assert_int_equal(cf.cf_cash_threshold_fen, 2000000);
	assert_int_equal(cf.cf_authority_fen[ROLE_SUPERVISOR], 200000);
	assert_int_equal(cf.cf_max_recalls, 2);
	assert_int_equal(cf.cf_default_service_s, 300);
	assert_string_equal(cf.cf_duty_supervisor, "E9001");
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		tc = config_terminal(&cf, dt->dt_id);
		assert_non_null(tc);
		assert_int_equal(tc->tc_role, role_from_name(dt->dt_role));
		assert_string_equal(tc->tc_staff, dt->dt_staff);
		assert_true(token_matches(tc, dt->dt_token));
		assert_false(token_matches(tc, "wrong"));
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(cf.cf_nterminals, 6);
	tc = config_terminal(&cf, "K01");
	assert_int_equal(tc->tc_role, ROLE_KIOSK);
	assert_true(token_matches(tc, "kiosk-demo"));
	assert_false(token_matches(tc, "display-demo"));
	tc = config_terminal(&cf, "D01");
	assert_int_equal(tc->tc_role, ROLE_DISPLAY);
	assert_true(token_matches(tc, "display-demo"));
	tc = config_terminal(&cf, "T01");
	assert_string_equal(tc->tc_staff, "E1001");
	assert_true(token_matches(tc, "teller1-demo"));
	tc = config_terminal(&cf, "T02");
	assert_string_equal(tc->tc_staff, "E1002");
	assert_true(token_matches(tc, "teller2-demo"));
	tc = config_terminal(&cf, "L01");
	assert_int_equal(tc->tc_role, ROLE_LOBBY);
	assert_string_equal(tc->tc_staff, "E2001");
	assert_true(token_matches(tc, "lobby-demo"));
	tc = config_terminal(&cf, "S01");
	assert_int_equal(tc->tc_role, ROLE_SUPERVISOR);
	assert_string_equal(tc->tc_staff, "E9001");
	assert_true(token_matches(tc, "supervisor-demo"));
	assert_true(config_staff_exists(&cf, "E1002"));
	config_free(&cf);
	assert_true(zeroed(&cf));
}

static char	printed[16][256];
static int	nprinted;

static void
capture(const char *line)
{
	if (nprinted < 16)
		snprintf(printed[nprinted], sizeof printed[0], "%s", line);
	nprinted++;
}

static const char *
printed_line(const char *word)
{
	int	i;

	for (i = 0; i < nprinted && i < 16; i++)
		if (strstr(printed[i], word) != NULL)
			return printed[i];
	return NULL;
}

static void
test_print_demo(void **state)
{
	const struct demo_terminal	*dt;
	struct config			 cf;
	const char			*line;
	char				 id[16];
	int				 i;

	(void)state;
	config_demo(&cf);
	nprinted = 0;
	config_print_demo(&cf, capture);
	config_free(&cf);
	/* a heading, then one line per demo terminal */
	assert_true(nprinted >= 7 && nprinted <= 16);
	assert_non_null(strstr(printed[0], "demo configuration"));
	assert_non_null(printed_line("DEMO-001"));
	for (i = 0; i < nprinted; i++)
		assert_null(strchr(printed[i], '\n'));
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		snprintf(id, sizeof id, " %s ", dt->dt_id);
		line = printed_line(id);
		assert_non_null(line);
		assert_non_null(strstr(line, dt->dt_role));
		assert_non_null(strstr(line, dt->dt_token));
		if (*dt->dt_staff != '\0')
			assert_non_null(strstr(line, dt->dt_staff));
	}
	line = printed_line(" T02 ");
	assert_non_null(strstr(line, "E1002"));
	assert_non_null(strstr(line, "teller2-demo"));
}

static void
test_free_zeroed(void **state)
{
	struct config	cf;

	(void)state;
	memset(&cf, 0, sizeof cf);
	config_free(&cf);
	config_free(&cf);
	config_free(NULL);
	assert_true(zeroed(&cf));
	assert_null(config_terminal(&cf, "K01"));
	assert_false(config_staff_exists(&cf, "E1001"));
}

/* ---- lines: the position finder and several problems in one file ---- */

static const char lines_text[] =
	"{\n"							/* 1 */
	"  \"branch\": \"X\",\n"				/* 2 */
	"  \"terminals\": [\n"					/* 3 */
	"    {\"id\": \"K01\", \"role\": \"kiosk\",\n"		/* 4 */
	"     \"token_sha256\": \"" HASH "\"},\n"		/* 5 */
	"    {\n"						/* 6 */
	"      \"id\": \"T01\",\n"				/* 7 */
	"      \"role\": \"teller\", \"staff\": \"E1\",\n"	/* 8 */
	"      \"token_sha256\":\n"				/* 9 */
	"        \"" HASH "\"\n"				/* 10 */
	"    }, [ 1, {\"a\\\"]}\": [2, 3]}],\n"			/* 11 */
	"    \"x\"\n"						/* 12 */
	"    ]\n"						/* 13 */
	"}\n";							/* 14 */

static void
test_line_at(void **state)
{
	static const int p_branch[] = { 0 }, p_terms[] = { 1 },
	    p_t1[] = { 1, 1 }, p_t1_token[] = { 1, 1, 3 },
	    p_t0_token[] = { 1, 0, 2 }, p_arr[] = { 1, 2, 1, 0, 1 },
	    p_x[] = { 1, 3 }, p_past[] = { 1, 9 }, p_into_scalar[] = { 0, 0 },
	    p_third[] = { 2 };

	(void)state;
	assert_int_equal(config_line_at(lines_text, NULL, 0), 1);
	assert_int_equal(config_line_at(lines_text, p_branch, 1), 2);
	assert_int_equal(config_line_at(lines_text, p_terms, 1), 3);
	assert_int_equal(config_line_at(lines_text, p_t1, 2), 6);
	assert_int_equal(config_line_at(lines_text, p_t1_token, 3), 9);
	assert_int_equal(config_line_at(lines_text, p_t0_token, 3), 5);
	/* a string holding brackets and an escaped quote does not count */
	assert_int_equal(config_line_at(lines_text, p_arr, 5), 11);
	assert_int_equal(config_line_at(lines_text, p_x, 2), 12);
	/* past the end: the container; into a scalar: the scalar's member */
	assert_int_equal(config_line_at(lines_text, p_past, 2), 3);
	assert_int_equal(config_line_at(lines_text, p_into_scalar, 2), 2);
	/* any text is safe */
	assert_int_equal(config_line_at("", p_t1_token, 3), 1);
	assert_int_equal(config_line_at("\n\n{\"a\n", p_t1_token, 3), 3);
	assert_int_equal(config_line_at("[\"\\", p_x, 2), 1);
	/* the text ends where a key should be (fuzz_config found it) */
	assert_int_equal(config_line_at("{\"a\":1,", p_third, 1), 1);
	assert_int_equal(config_line_at("{\"a\":1,\n", p_third, 1), 1);
	assert_int_equal(config_line_at("\xef\xbb\xbf\n[\n1,\n2]", p_terms, 1), 4);

	/* by name */
	assert_int_equal(config_line_of(lines_text, ""), 1);
	assert_int_equal(config_line_of(lines_text, "branch"), 2);
	assert_int_equal(config_line_of(lines_text, "terminals[1]"), 6);
	assert_int_equal(config_line_of(lines_text, "terminals[1].token_sha256"), 9);
	assert_int_equal(config_line_of(lines_text, "terminals[0].token_sha256"), 5);
	assert_int_equal(config_line_of(lines_text, "terminals[3]"), 12);
	assert_int_equal(config_line_of(lines_text, "terminals[4]"), -1);
	assert_int_equal(config_line_of(lines_text, "nothing"), -1);
	assert_int_equal(config_line_of("{", "branch"), -1);
	/* duplicates: the first by name */
	assert_int_equal(config_line_of("{\"a\":1,\n\"a\":2}", "a"), 1);
}

static void
expect_problems(const char *text, const char *const want[], int nwant)
{
	struct config	cf;
	struct problems	pr;
	int		i, rc;

	memset(&cf, 0xa5, sizeof cf);
	memset(&pr, 0, sizeof pr);
	rc = config_load_text_report(&cf, "t.json", text, collect, &pr);
	for (i = 0; rc == nwant && i < nwant && i < 16; i++)
		if (strcmp(pr.p_line[i], want[i]) != 0)
			break;
	if (rc != nwant || i < nwant)
		for (i = 0; i < pr.p_n && i < 16; i++)
			print_message("  got: %s\n", pr.p_line[i]);
	assert_int_equal(rc, nwant);
	assert_int_equal(pr.p_n, nwant);
	for (i = 0; i < nwant; i++)
		assert_string_equal(pr.p_line[i], want[i]);
	assert_true(zeroed(&cf));
}

/* Every problem of the file, each at its line, in the order of the lines
 * (one line's in the order found). */
static void
test_several_problems(void **state)
{
	static const char text[] =
	    "{\n"							/* 1 */
	    "  \"branch\": \"\",\n"					/* 2 */
	    "  \"colour\": \"red\",\n"					/* 3 */
	    "  \"max_recalls\": 11,\n"					/* 4 */
	    "  \"terminals\": [\n"					/* 5 */
	    "    {\"id\": \"K01\", \"role\": \"kiosk\", \"token_sha256\": \"" HASH "\"},\n"
	    "    {\n"							/* 7 */
	    "      \"id\": \"T 1\",\n"					/* 8 */
	    "      \"role\": \"teller\",\n"				/* 9 */
	    "      \"token_sha256\": \"abc\"\n"				/* 10 */
	    "    },\n"							/* 11 */
	    "    {\"id\": \"S01\", \"role\": \"boss\", \"staff\": \"E9\",\n"	/* 12 */
	    "     \"token_sha256\": \"" HASH "\", \"tokn\": 1}\n"	/* 13 */
	    "  ],\n"							/* 14 */
	    "  \"webhooks\": [{\"url\": \"ftp://x\", \"secret\": \"s\",\n"	/* 15 */
	    "                \"events\": [\"complaint.logged\",\n"	/* 16 */
	    "                           \"nope\"]}]\n"			/* 17 */
	    "}\n";
	static const char *const want[] = {
		"t.json:2: branch: must be a string of 1 to 64 bytes without "
		    "control characters",
		"t.json:3: colour: unknown key",
		"t.json:4: max_recalls: must be an integer from 0 to 10",
		"t.json:7: terminals[1].staff: required for a teller",
		"t.json:8: terminals[1].id: must be 1 to 32 characters of A-Z a-z "
		    "0-9 _ -",
		"t.json:10: terminals[1].token_sha256: must be 64 hex digits (the "
		    "SHA-256 of the token)",
		"t.json:12: terminals[2].role: must be one of kiosk, display, "
		    "teller, lobby, supervisor",
		"t.json:13: terminals[2].tokn: unknown key",
		"t.json:15: webhooks[0].url: must be an http:// or https:// URL "
		    "of at most 2048 characters",
		"t.json:17: webhooks[0].events[1]: must be one of complaint.logged, "
		    "followup.overdue, survey.detractor",
	};

	(void)state;
	expect_problems(text, want, (int)(sizeof want / sizeof want[0]));
}

/* Checks across keys: each once, and none built on a value found wrong. */
static void
test_problems_across_keys(void **state)
{
	/* a supervisor whose role is wrong (so duty_supervisor is not
	 * checked), a lock-out maximum below a minimum that is wrong */
	static const char text[] =
	    "{\"auth_lockout_s\": 0,\n"
	    "\"auth_lockout_max_s\": 1,\n"
	    "\"duty_supervisor\": \"E9\",\n"
	    "\"terminals\": [\n"
	    " {\"id\": \"K01\", \"role\": \"kiosk\", \"token_sha256\":\n"
	    "  \"c2cdb9e2e0e6b1f4d5e4ac3ea94a5c9a5e7b0cdbe3a3bc4a1c5b0c9b4fc1a7b1\"},\n"
	    " {\"id\": \"S01\", \"role\": \"Supervisor\", \"staff\": \"E9\",\n"
	    "  \"token_sha256\": \"" HASH "\"}]}";
	static const char *const want[] = {
		"t.json:1: auth_lockout_s: must be an integer from 1 to 86400",
		"t.json:7: terminals[1].role: must be one of kiosk, display, "
		    "teller, lobby, supervisor",
	};
	/* the same lock-out alone is one problem, at the maximum */
	static const char *const want_lockout[] = {
		"t.json:2: auth_lockout_max_s: must be at least auth_lockout_s (10)",
	};
	/* duplicates and a duplicate id: at the second */
	static const char *const want_dup[] = {
		"t.json:3: max_recalls: duplicate key",
		"t.json:5: terminals[1].id: duplicate id \"K01\"",
	};

	(void)state;
	expect_problems(text, want, 2);
	expect_problems("{\"auth_lockout_s\": 10,\n\"auth_lockout_max_s\": 1,\n"
	    TERMS "}", want_lockout, 1);
	expect_problems("{\"max_recalls\": 1,\n\n\"max_recalls\": 2, \"terminals\": [\n"
	    TERM_K ",\n" TERM_K "]}", want_dup, 2);
}

/* The demo tokens are printed at start-up: a file must not use them. */
static void
test_demo_token_refused(void **state)
{
	const struct demo_terminal	*dt;
	unsigned char			 h[32];
	char				 hex[65], text[1024], want[512];
	struct problems			 pr;
	struct config			 cf;

	(void)state;
	for (dt = demo_terminals; dt->dt_id != NULL; dt++) {
		sha256(dt->dt_token, strlen(dt->dt_token), h);
		to_hex(h, hex);
		snprintf(text, sizeof text, "{\"terminals\":[" TERM_K ",\n"
		    "{\"id\":\"X\",\"role\":\"%s\",\"staff\":\"%s\",\n"
		    "\"token_sha256\":\"%s\"}]}", dt->dt_role,
		    *dt->dt_staff != '\0' ? dt->dt_staff : "", hex);
		memset(&pr, 0, sizeof pr);
		assert_int_equal(config_load_text_report(&cf, "t.json", text, collect,
		    &pr), 1);
		snprintf(want, sizeof want, "t.json:3: terminals[1].token_sha256: the "
		    "public demo token \"%s\"; make a new one with \"branchq token\"",
		    dt->dt_token);
		assert_string_equal(pr.p_line[0], want);
		assert_true(zeroed(&cf));
	}
}

/* More than 100 problems: the first 100, then one line for the rest. */
static void
test_many_problems(void **state)
{
	struct problems	pr;
	struct config	cf;
	char		*text;
	size_t		 len = 0, cap = 200 * 16 + 256;
	int		 i;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{");
	for (i = 0; i < 150; i++)
		len += (size_t)snprintf(text + len, cap - len, "\"k%d\":1,\n", i);
	snprintf(text + len, cap - len, TERMS "}");
	memset(&pr, 0, sizeof pr);
	assert_int_equal(config_load_text_report(&cf, "t.json", text, collect, &pr), 150);
	assert_int_equal(pr.p_n, 101);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_full_example),
		cmocka_unit_test(test_every_field_read),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors_scalars),
		cmocka_unit_test(test_errors_money),
		cmocka_unit_test(test_errors_accessible_windows),
		cmocka_unit_test(test_errors_terminals),
		cmocka_unit_test(test_printer),
		cmocka_unit_test(test_errors_printer),
		cmocka_unit_test(test_errors_duty_supervisor),
		cmocka_unit_test(test_errors_webhooks),
		cmocka_unit_test(test_hq),
		cmocka_unit_test(test_errors_hq),
		cmocka_unit_test(test_errors_hq_lines),
		cmocka_unit_test(test_webhook_url_length),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_token_matches),
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_print_demo),
		cmocka_unit_test(test_free_zeroed),
		cmocka_unit_test(test_errors_http_hosts),
		cmocka_unit_test(test_line_at),
		cmocka_unit_test(test_several_problems),
		cmocka_unit_test(test_problems_across_keys),
		cmocka_unit_test(test_demo_token_refused),
		cmocka_unit_test(test_many_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
