/* The schema migrations in sql/, compiled in by sql/embed.sh. */
#include "branchq.h"

const struct migration migrations[] = {
#include "migrations.inc"
	{ 0, NULL, NULL }
};
