/*
 * backup: a copy of the database on demand (a supervisor's; PROTOCOL
 * "Backups").  The handler hands the job to the backup worker
 * (src/backup.c) and returns OP_LATER; the reply comes back on the loop
 * through the session's transport (s_deliver), as a report's does, and is
 * dropped if the session is gone.  One copy at a time: asked for while one
 * is under way, `conflict` naming it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "branchq.h"

struct pending {
	void		(*p_deliver)(uint64_t conn_id, const char *line);
	uint64_t	 p_conn;
	cJSON		*p_reply;	/* "id" and "ok" in */
};

/* On the loop thread: the reply (or the error) to its session, and frees. */
static void
finish(const struct backup_result *r, void *arg)
{
	struct pending	*p = arg;
	cJSON		*b;
	char		*line;

	if (r->br_ok) {
		b = cJSON_AddObjectToObject(p->p_reply, "backup");
		cJSON_AddStringToObject(b, "file", r->br_file);
		cJSON_AddNumberToObject(b, "bytes", (double)r->br_bytes);
		cJSON_AddItemToObject(b, "started_at", json_time(r->br_started_at));
		cJSON_AddItemToObject(b, "finished_at", json_time(r->br_finished_at));
		cJSON_AddNumberToObject(b, "duration_ms", (double)r->br_ms);
		cJSON_AddStringToObject(b, "integrity", r->br_integrity);
		line = json_print_free(p->p_reply);
	} else {
		char	msg[sizeof r->br_err + 64];

		snprintf(msg, sizeof msg, "the backup failed (%s); no copy was kept", r->br_err);
		line = json_error_reply(cJSON_GetObjectItemCaseSensitive(p->p_reply, "id"),
		    ERR_UNAVAILABLE, msg);
		cJSON_Delete(p->p_reply);
	}
	p->p_deliver(p->p_conn, line);
	free(line);
	free(p);
}

static int
op_backup(struct op_ctx *x)
{
	struct backup_result	 busy;
	struct pending		*p;
	char			 at[BQ_TIME_LEN];

	if (!backup_enabled())
		return bq_fail(&x->x_err, ERR_UNAVAILABLE, "backups are off: the daemon was "
		    "started without --backup-dir DIR");
	if (x->x_session->s_deliver == NULL)
		fatalx("backup: the session's transport takes no later replies");
	if ((p = calloc(1, sizeof *p)) == NULL)
		fatal("calloc");
	p->p_deliver = x->x_session->s_deliver;
	p->p_conn = x->x_session->s_conn_id;
	p->p_reply = x->x_reply;
	if (backup_request(x->x_actor.a_terminal, finish, p, &busy) == -1) {
		free(p);
		time_format(busy.br_started_at, at);
		bq_fail(&x->x_err, ERR_CONFLICT, "a backup is under way (%s, started %s); "
		    "one at a time: try again when it is done", busy.br_file, at);
		bq_detail_str(&x->x_err, "file", busy.br_file);
		return bq_detail_str(&x->x_err, "started_at", at);
	}
	x->x_reply = NULL;	/* the job has it now */
	return OP_LATER;
}

const struct op_entry op_backup_entry = {
	.op_name = "backup", .op_roles = R_SUPERVISOR, .op_exec = op_backup,
};
