/*
 * The files the HTTP face serves (PROTOCOL HTTP: built in at compile time,
 * nothing read from disk at run time): web/ turned into C by web/embed.sh.
 */
#include <string.h>

#include "branchq.h"

static const struct webfile webfiles[] = {
#include "webfiles.inc"
};

const struct webfile *
webfile_find(const char *path, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof webfiles / sizeof webfiles[0]; i++)
		if (strlen(webfiles[i].wf_path) == len &&
		    memcmp(webfiles[i].wf_path, path, len) == 0)
			return &webfiles[i];
	return NULL;
}
