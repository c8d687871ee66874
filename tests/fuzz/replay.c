/*
 * The fuzz target without libFuzzer: runs LLVMFuzzerTestOneInput() on every
 * file under the given directories (default: tests/fuzz/regressions, every
 * input that ever crashed, and tests/fuzz/corpus, the seeds; built with
 * -DREPLAY_HTTP, for fuzz_http.c, regressions-http and corpus-http; with
 * -DREPLAY_CONFIG, for fuzz_config.c, regressions-config and corpus-config), one
 * cmocka test per file.  Built by the ordinary compiler with the ordinary flags,
 * so `make test` replays them, and under SANITIZE=1 with ASan and UBSan.
 * A file that crashes stops the binary: tests/run.sh counts it as failed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#if defined(REPLAY_HTTP)
#define REPLAY_NAME	"fuzz_http_replay"
static const char *const default_dirs[] = {
	"tests/fuzz/regressions-http", "tests/fuzz/corpus-http", NULL
};
#elif defined(REPLAY_CONFIG)
#define REPLAY_NAME	"fuzz_config_replay"
static const char *const default_dirs[] = {
	"tests/fuzz/regressions-config", "tests/fuzz/corpus-config", NULL
};
#else
#define REPLAY_NAME	"fuzz_replay"
static const char *const default_dirs[] = {
	"tests/fuzz/regressions", "tests/fuzz/corpus", NULL
};
#endif

static void
replay_one(void **state)
{
	const char	*path = *state;
	FILE		*f;
	uint8_t		*buf = NULL;
	size_t		 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				fail_msg("realloc");
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	fprintf(stdout, "[ REPLAY   ] %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

/* Appends a test for each regular file in dir (README and dot files aside). */
static size_t
add_dir(const char *dir, struct CMUnitTest **tests, size_t n)
{
	DIR		*d;
	struct dirent	*de;
	char		*path;
	size_t		 first = n, len;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: cannot open %s\n", dir);
		exit(1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strncmp(de->d_name, "README", 6) == 0)
			continue;
		len = strlen(dir) + strlen(de->d_name) + 2;
		if ((path = malloc(len)) == NULL ||
		    (*tests = realloc(*tests, (n + 1) * sizeof **tests)) == NULL) {
			fprintf(stderr, "replay: out of memory\n");
			exit(1);
		}
		snprintf(path, len, "%s/%s", dir, de->d_name);
		memset(&(*tests)[n], 0, sizeof **tests);
		(*tests)[n].name = path;
		(*tests)[n].test_func = replay_one;
		(*tests)[n].initial_state = path;
		n++;
	}
	closedir(d);
	qsort(*tests + first, n - first, sizeof **tests, by_name);
	return n;
}

int
main(int argc, char **argv)
{
	struct CMUnitTest	*tests = NULL;
	size_t			 n = 0, i;
	int			 rc;

	if (argc > 1)
		for (i = 1; i < (size_t)argc; i++)
			n = add_dir(argv[i], &tests, n);
	else
		for (i = 0; default_dirs[i] != NULL; i++)
			n = add_dir(default_dirs[i], &tests, n);
	if (n == 0) {
		fprintf(stderr, "replay: no inputs\n");
		return 1;
	}
	rc = _cmocka_run_group_tests(REPLAY_NAME, tests, n, NULL, NULL);
	for (i = 0; i < n; i++)
		free((void *)(uintptr_t)tests[i].name);
	free(tests);
	return rc;
}
