/*
 * Database faults on demand, for tests.
 *
 * A VFS shim in SQLite's own manner (its test_vfs.c, vfstrace.c): a VFS
 * that wraps the default one, passes every call through, and makes the
 * writes to the database and its WAL fail as a failing disk would, with
 * the codes the unix VFS returns for ENOSPC, EIO and a failed fsync, and
 * SQLITE_READONLY for a file it may not write.  SQLite, the store and
 * everything above them see a real fault; nothing is mocked.
 *
 * It is registered as the default VFS only under --test-clock, before the
 * database is opened, and test.fault switches the fault.  The reports'
 * worker thread reads through it too, so the state is atomic.
 *
 * What SQLite does then is its own: a failed COMMIT rolls the transaction
 * back by itself (the store's rollback copes), a failed fsync leaves the
 * refused frames in the WAL file but not in its index, where the next
 * commit writes over them.
 *
 * Only the files that hold the data fail: the database, the WAL and a
 * rollback journal (checkpoint_error: the database file alone, which in WAL
 * mode only checkpoints write).  Temporary files (sorts) and the WAL index (shared
 * memory, not xWrite) are left alone, so reads keep working as they do
 * when a disk fills.  A full disk fails every write here; a real one may
 * still let SQLite reuse the WAL space it already holds, which only means
 * fewer refusals.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "branchq.h"

#define FV_NAME	"branchq-fault"
#define FV_DATA_FILES	(SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL)

const char *const db_fault_names[] = {
	[DBF_NONE] = "none",
	[DBF_DISK_FULL] = "disk_full",
	[DBF_IO_ERROR] = "io_error",
	[DBF_FSYNC_ERROR] = "fsync_error",
	[DBF_READONLY] = "readonly",
	[DBF_CHECKPOINT_ERROR] = "checkpoint_error",
	[DBF__COUNT] = NULL
};

struct fault_file {
	sqlite3_file	 ff_base;	/* ff_base.pMethods: one of fv_io */
	sqlite3_file	*ff_real;	/* the wrapped file, right after this struct */
	bool		 ff_data;	/* database, WAL or journal: may fail */
	bool		 ff_main;	/* the database file itself */
};

static sqlite3_vfs		*fv_real;
static sqlite3_vfs		 fv_vfs;
static sqlite3_io_methods	 fv_io[3];	/* for the real file's iVersion 1, 2, 3 */
static _Atomic int		 fv_fault;	/* enum db_fault */
static _Atomic long		 fv_injected;	/* failed calls since the last switch */

#define REAL(f)	(((struct fault_file *)(f))->ff_real)

/* The code a call of this kind returns under the current fault, or SQLITE_OK. */
static int
fault_code(sqlite3_file *f, bool sync)
{
	int	rc = SQLITE_OK;

	if (!((struct fault_file *)f)->ff_data)
		return SQLITE_OK;
	switch ((enum db_fault)atomic_load(&fv_fault)) {
	case DBF_DISK_FULL:		/* ENOSPC, as unixWrite reports it */
		rc = sync ? SQLITE_OK : SQLITE_FULL;
		break;
	case DBF_IO_ERROR:		/* EIO on write(2) */
		rc = sync ? SQLITE_OK : SQLITE_IOERR_WRITE;
		break;
	case DBF_FSYNC_ERROR:		/* the write reached the page cache; fsync(2) failed */
		rc = sync ? SQLITE_IOERR_FSYNC : SQLITE_OK;
		break;
	case DBF_READONLY:		/* a file SQLite may not write (EROFS on write(2)
					 * itself the unix VFS reports as io_error does) */
		rc = sync ? SQLITE_OK : SQLITE_READONLY;
		break;
	case DBF_CHECKPOINT_ERROR:	/* EIO writing the database file, not the WAL:
					 * commits succeed, checkpoints fail */
		rc = sync || !((struct fault_file *)f)->ff_main ? SQLITE_OK : SQLITE_IOERR_WRITE;
		break;
	default:
		break;
	}
	if (rc != SQLITE_OK)
		atomic_fetch_add(&fv_injected, 1);
	return rc;
}

/* ---- the file: every call passes through, writes may fail ---- */

static int
fv_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
fv_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
fv_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	int	rc;

	if ((rc = fault_code(f, false)) != SQLITE_OK)
		return rc;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	/* Shrinking needs no free block; only a read-only medium refuses it. */
	if (((struct fault_file *)f)->ff_data && atomic_load(&fv_fault) == DBF_READONLY) {
		atomic_fetch_add(&fv_injected, 1);
		return SQLITE_READONLY;
	}
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
fv_sync(sqlite3_file *f, int flags)
{
	int	rc;

	if ((rc = fault_code(f, true)) != SQLITE_OK)
		return rc;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
fv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
fv_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
fv_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
fv_check_reserved_lock(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
fv_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
fv_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
fv_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
fv_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
}

static int
fv_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
fv_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
fv_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}

static int
fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

/* ---- the VFS: opens wrap the real file, the rest passes through ---- */

static int
fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct fault_file	*ff = (struct fault_file *)f;
	int			 rc, version;

	(void)vfs;
	memset(ff, 0, sizeof *ff);
	ff->ff_real = (sqlite3_file *)(ff + 1);
	ff->ff_data = (flags & FV_DATA_FILES) != 0;
	ff->ff_main = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	rc = fv_real->xOpen(fv_real, name, ff->ff_real, flags, out_flags);
	/* SQLite calls xClose when pMethods is set, even after a failed open. */
	if (ff->ff_real->pMethods != NULL) {
		version = ff->ff_real->pMethods->iVersion;
		if (version < 1)
			version = 1;
		if (version > 3)
			version = 3;
		ff->ff_base.pMethods = &fv_io[version - 1];
	}
	return rc;
}

static int
fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return fv_real->xDelete(fv_real, name, sync_dir);
}

static int
fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return fv_real->xAccess(fv_real, name, flags, out);
}

static int
fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return fv_real->xFullPathname(fv_real, name, n, out);
}

static void *
fv_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return fv_real->xDlOpen(fv_real, name);
}

static void
fv_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	fv_real->xDlError(fv_real, n, msg);
}

static void
(*fv_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
	(void)vfs;
	return fv_real->xDlSym(fv_real, handle, sym);
}

static void
fv_dl_close(sqlite3_vfs *vfs, void *handle)
{
	(void)vfs;
	fv_real->xDlClose(fv_real, handle);
}

static int
fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return fv_real->xRandomness(fv_real, n, out);
}

static int
fv_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return fv_real->xSleep(fv_real, us);
}

static int
fv_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return fv_real->xCurrentTime(fv_real, out);
}

static int
fv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return fv_real->xGetLastError(fv_real, n, out);
}

static int
fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return fv_real->xCurrentTimeInt64(fv_real, out);
}

int
faultvfs_register(char *err, size_t errlen)
{
	static const sqlite3_io_methods	template = {
		.iVersion = 3,
		.xClose = fv_close,
		.xRead = fv_read,
		.xWrite = fv_write,
		.xTruncate = fv_truncate,
		.xSync = fv_sync,
		.xFileSize = fv_file_size,
		.xLock = fv_lock,
		.xUnlock = fv_unlock,
		.xCheckReservedLock = fv_check_reserved_lock,
		.xFileControl = fv_file_control,
		.xSectorSize = fv_sector_size,
		.xDeviceCharacteristics = fv_device_characteristics,
		.xShmMap = fv_shm_map,
		.xShmLock = fv_shm_lock,
		.xShmBarrier = fv_shm_barrier,
		.xShmUnmap = fv_shm_unmap,
		.xFetch = fv_fetch,
		.xUnfetch = fv_unfetch,
	};
	int	i;

	if (fv_real != NULL)
		return 0;
	if ((fv_real = sqlite3_vfs_find(NULL)) == NULL) {
		snprintf(err, errlen, "database faults: SQLite has no default VFS");
		return -1;
	}
	/* A file of version n offers the methods of version n and no more. */
	for (i = 0; i < 3; i++) {
		fv_io[i] = template;
		fv_io[i].iVersion = i + 1;
		if (i < 1) {
			fv_io[i].xShmMap = NULL;
			fv_io[i].xShmLock = NULL;
			fv_io[i].xShmBarrier = NULL;
			fv_io[i].xShmUnmap = NULL;
		}
		if (i < 2) {
			fv_io[i].xFetch = NULL;
			fv_io[i].xUnfetch = NULL;
		}
	}
	memset(&fv_vfs, 0, sizeof fv_vfs);
	fv_vfs.iVersion = fv_real->iVersion >= 2 ? 2 : 1;
	fv_vfs.szOsFile = (int)sizeof(struct fault_file) + fv_real->szOsFile;
	fv_vfs.mxPathname = fv_real->mxPathname;
	fv_vfs.zName = FV_NAME;
	fv_vfs.xOpen = fv_open;
	fv_vfs.xDelete = fv_delete;
	fv_vfs.xAccess = fv_access;
	fv_vfs.xFullPathname = fv_full_pathname;
	fv_vfs.xDlOpen = fv_dl_open;
	fv_vfs.xDlError = fv_dl_error;
	fv_vfs.xDlSym = fv_dl_sym;
	fv_vfs.xDlClose = fv_dl_close;
	fv_vfs.xRandomness = fv_randomness;
	fv_vfs.xSleep = fv_sleep;
	fv_vfs.xCurrentTime = fv_current_time;
	fv_vfs.xGetLastError = fv_get_last_error;
	if (fv_vfs.iVersion >= 2)
		fv_vfs.xCurrentTimeInt64 = fv_current_time_int64;
	if (sqlite3_vfs_register(&fv_vfs, 1) != SQLITE_OK) {
		snprintf(err, errlen, "database faults: cannot register the VFS");
		fv_real = NULL;
		return -1;
	}
	log_debug("database faults: test VFS %s over %s", FV_NAME, fv_real->zName);
	return 0;
}

long
faultvfs_set(enum db_fault fault)
{
	if (fv_real == NULL)
		return -1;	/* not registered: nothing would fail */
	atomic_store(&fv_fault, (int)fault);
	return atomic_exchange(&fv_injected, 0);
}

enum db_fault
faultvfs_get(void)
{
	return (enum db_fault)atomic_load(&fv_fault);
}
