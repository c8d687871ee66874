/*
 * End-to-end: the operator's tools around the configuration (issue 18
 * item 4).  `branchqd --check-config FILE` on the shipped build/branchqd:
 * a valid file ("FILE: ok", exit 0), a file with several problems (each
 * "FILE:LINE: message" on stderr, exit 2), invalid JSON (one line, at the
 * error), a missing file (one line), a demo token; none of it opens a
 * database.  And start-up with a bad file: the same problems, each after
 * "branchqd: ", exit 2.  (`branchq token` is in test_client.c.)
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* sha256("abc"): no demo token's */
#define HASH	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct tool_run {
	int	 t_status;	/* exit status; 128 + signal if killed */
	char	 t_out[8192];
	char	 t_err[8192];
};

static char	tools_dir[64];

static void
shipped_daemon(char *out, size_t len)
{
	const char	*test = daemon_binary();
	const char	*slash = strrchr(test, '/');

	snprintf(out, len, "%.*s/branchqd", (int)(slash - test), test);
}

/* A file in this test's directory with this text; its path. */
static const char *
write_config(const char *name, const char *text)
{
	static char	path[256];
	FILE		*f;

	if (*tools_dir == '\0') {
		snprintf(tools_dir, sizeof tools_dir, "/tmp/bq-e2e-tools-XXXXXX");
		if (mkdtemp(tools_dir) == NULL)
			fail_msg("mkdtemp: %s", strerror(errno));
	}
	snprintf(path, sizeof path, "%s/%s", tools_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	return path;
}

/*
 * Runs the shipped daemon with args (NULL-terminated) in the test's
 * directory, under BRANCHQD_WRAPPER when set; its output and status.  It
 * only reads a file, so it ends by itself.
 */
static void
run_daemon(struct tool_run *r, const char *const args[])
{
	char		 bin[PATH_MAX], *wrap = NULL, *argv[32], *w;
	const char	*env = getenv("BRANCHQD_WRAPPER");
	int		 out[2], err[2], argc = 0, status;
	size_t		 i, outlen = 0, errlen = 0;
	struct pollfd	 pfd[2];
	pid_t		 pid;

	memset(r, 0, sizeof *r);
	shipped_daemon(bin, sizeof bin);
	if (env != NULL && *env != '\0') {
		wrap = strdup(env);
		for (w = strtok(wrap, " "); w != NULL && argc < 16; w = strtok(NULL, " "))
			argv[argc++] = w;
	}
	argv[argc++] = bin;
	for (i = 0; args[i] != NULL && argc < 31; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		if (chdir(tools_dir) == -1)
			_exit(126);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* Both pipes at once: either may fill while the other is read. */
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd != -1 || pfd[1].fd != -1) {
		if (poll(pfd, 2, -1) == -1) {
			assert_int_equal(errno, EINTR);
			continue;
		}
		for (i = 0; i < 2; i++) {
			char	tmp[4096];
			ssize_t	n;

			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if ((n = read(pfd[i].fd, tmp, sizeof tmp)) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			if (i == 0) {
				if (outlen + (size_t)n < sizeof r->t_out) {
					memcpy(r->t_out + outlen, tmp, (size_t)n);
					outlen += (size_t)n;
				}
			} else if (errlen + (size_t)n < sizeof r->t_err) {
				memcpy(r->t_err + errlen, tmp, (size_t)n);
				errlen += (size_t)n;
			}
		}
	}
	r->t_out[outlen] = '\0';
	r->t_err[errlen] = '\0';
	while (waitpid(pid, &status, 0) == -1)
		assert_int_equal(errno, EINTR);
	r->t_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	free(wrap);
}

static void
expect_run(const struct tool_run *r, int status, const char *out, const char *err)
{
	expect_that(r->t_status == status && strcmp(r->t_out, out) == 0 &&
	    strcmp(r->t_err, err) == 0, NULL,
	    "want status %d, stdout:\n%s\nstderr:\n%s\ngot status %d, stdout:\n%s\n"
	    "stderr:\n%s", status, out, err, r->t_status, r->t_out, r->t_err);
}

/* Nothing but the configuration files in the directory: no database made. */
static void
expect_no_database(void)
{
	DIR		*d;
	struct dirent	*de;

	assert_non_null(d = opendir(tools_dir));
	while ((de = readdir(d)) != NULL)
		expect_that(strstr(de->d_name, ".db") == NULL, NULL,
		    "%s/%s was made: --check-config opens no database", tools_dir,
		    de->d_name);
	closedir(d);
}

static int
tools_teardown(void **state)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[512];

	(void)state;
	if (*tools_dir != '\0' && (d = opendir(tools_dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", tools_dir, de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(tools_dir);
	}
	*tools_dir = '\0';
	return harness_teardown(state);
}

static const char valid_text[] =
	"{\n"
	"  \"branch\": \"NJ-001\",\n"
	"  \"terminals\": [\n"
	"    {\"id\": \"K01\", \"role\": \"kiosk\", \"token_sha256\": \"" HASH "\"},\n"
	"    {\"id\": \"S01\", \"role\": \"supervisor\", \"staff\": \"E9001\",\n"
	"     \"token_sha256\": \"" HASH "\"}\n"
	"  ]\n"
	"}\n";

static void
test_check_valid(void **state)
{
	struct tool_run	 r;
	const char	*path;
	char		 want[512];

	(void)state;
	path = write_config("ok.json", valid_text);
	snprintf(want, sizeof want, "%s: ok\n", path);
	run_daemon(&r, (const char *const[]){ "--check-config", path, NULL });
	expect_run(&r, 0, want, "");
	/* a relative path is named as given */
	run_daemon(&r, (const char *const[]){ "--check-config", "ok.json", NULL });
	expect_run(&r, 0, "ok.json: ok\n", "");
	expect_no_database();
}

/* Each problem on its own line of stderr, in the file's order of keys. */
static const char bad_text[] =
	"{\n"								/* 1 */
	"  \"branch\": \"NJ-001\",\n"					/* 2 */
	"  \"max_recalls\": 1.5,\n"					/* 3 */
	"  \"terminals\": [\n"						/* 4 */
	"    {\"id\": \"K01\", \"role\": \"kiosk\", \"token_sha256\": \"" HASH "\"},\n"
	"    {\"id\": \"T01\", \"role\": \"teller\", \"staff\": \"E1001\",\n"	/* 6 */
	"     \"token_sha256\": \"abc\"},\n"				/* 7 */
	"    {\"id\": \"T02\", \"role\": \"teller\",\n"			/* 8 */
	"     \"token_sha256\": \"" HASH "\"}\n"			/* 9 */
	"  ],\n"							/* 10 */
	"  \"webhooks\": [{\"url\": \"http://127.0.0.1:9/h\",\n"	/* 11 */
	"                \"secret\": \"s\", \"events\": [\"complaint.logged\"],\n"
	"                \"evnets\": []}]\n"				/* 13 */
	"}\n";

static void
test_check_problems(void **state)
{
	struct tool_run	 r;
	const char	*path;
	char		 want[2048];

	(void)state;
	path = write_config("bad.json", bad_text);
	snprintf(want, sizeof want,
	    "%s:3: max_recalls: must be an integer from 0 to 10\n"
	    "%s:7: terminals[1].token_sha256: must be 64 hex digits (the SHA-256 "
	    "of the token)\n"
	    "%s:8: terminals[2].staff: required for a teller\n"
	    "%s:13: webhooks[0].evnets: unknown key\n", path, path, path, path);
	run_daemon(&r, (const char *const[]){ "--check-config", path, NULL });
	expect_run(&r, 2, "", want);
	expect_no_database();
}

static void
test_check_invalid_json(void **state)
{
	struct tool_run	 r;
	const char	*path;
	char		 want[512];

	(void)state;
	/* a trailing comma on line 4; the unknown key before it is not checked */
	path = write_config("syntax.json", "{\n  \"colour\": 1,\n  \"terminals\": [\n"
	    "    {\"id\": \"K01\"},\n  ]\n}\n");
	snprintf(want, sizeof want, "%s:5: invalid JSON (nothing after this line "
	    "can be checked)\n", path);
	run_daemon(&r, (const char *const[]){ "--check-config", path, NULL });
	expect_run(&r, 2, "", want);
	expect_no_database();
}

static void
test_check_missing_file(void **state)
{
	struct tool_run	 r;
	char		 path[256], want[512];

	(void)state;
	write_config("other.json", "{}");	/* makes the directory */
	snprintf(path, sizeof path, "%s/none.json", tools_dir);
	snprintf(want, sizeof want, "%s: cannot read: No such file or directory\n", path);
	run_daemon(&r, (const char *const[]){ "--check-config", path, NULL });
	expect_run(&r, 2, "", want);
	expect_no_database();
}

/* The demo tokens are printed by every daemon without a file: refused. */
static void
test_check_demo_token(void **state)
{
	struct tool_run	 r;
	const char	*path;
	char		 want[512];

	(void)state;
	path = write_config("demo.json", "{\"terminals\": [\n"
	    "{\"id\": \"S01\", \"role\": \"supervisor\", \"staff\": \"E9001\",\n"
	    " \"token_sha256\": "	/* sha256("supervisor-demo") */
	    "\"54850f287bb886ef01eea25114adcd447299c61708f56b077f7ef039a697837a\"},\n"
	    "{\"id\": \"K01\", \"role\": \"kiosk\", \"token_sha256\":\n"
	    " \"392c694b4744dc21b7bf2eb45cb24458c3d2fe3e3fe72070340d9fcb6d11195b\"}]}\n");
	snprintf(want, sizeof want,
	    "%s:3: terminals[0].token_sha256: the public demo token "
	    "\"supervisor-demo\"; make a new one with \"branchq token\"\n"
	    "%s:4: terminals[1].token_sha256: the public demo token "
	    "\"kiosk-demo\"; make a new one with \"branchq token\"\n", path, path);
	run_daemon(&r, (const char *const[]){ "--check-config", path, NULL });
	expect_run(&r, 2, "", want);
}

/* Start-up with a bad file: every problem, after "branchqd: ", exit 2. */
static void
test_startup_reports_every_problem(void **state)
{
	struct tool_run	 r;
	const char	*path;
	char		 want[2048], db[256];

	(void)state;
	path = write_config("bad.json", bad_text);
	snprintf(db, sizeof db, "%s/x.db", tools_dir);
	snprintf(want, sizeof want,
	    "branchqd: %s:3: max_recalls: must be an integer from 0 to 10\n"
	    "branchqd: %s:7: terminals[1].token_sha256: must be 64 hex digits (the "
	    "SHA-256 of the token)\n"
	    "branchqd: %s:8: terminals[2].staff: required for a teller\n"
	    "branchqd: %s:13: webhooks[0].evnets: unknown key\n", path, path, path, path);
	run_daemon(&r, (const char *const[]){ "--config", path, "--db", db,
	    "--listen", "127.0.0.1:0", "--http", "off", NULL });
	expect_run(&r, 2, "", want);
	expect_no_database();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_check_valid, tools_teardown),
		cmocka_unit_test_teardown(test_check_problems, tools_teardown),
		cmocka_unit_test_teardown(test_check_invalid_json, tools_teardown),
		cmocka_unit_test_teardown(test_check_missing_file, tools_teardown),
		cmocka_unit_test_teardown(test_check_demo_token, tools_teardown),
		cmocka_unit_test_teardown(test_startup_reports_every_problem,
		    tools_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
