/*
 * store/respstore.h - the Responses API store: one JSON record per response
 * id (the response object, its input items and the canonical conversation),
 * for GET/DELETE /v1/responses/{id}, /input_items and previous_response_id.
 *
 * Process-wide and thread-safe (every worker thread calls it). Records live in
 * an in-memory map bounded by count and bytes (least recently used evicted
 * first) and, once lmx_respstore_open was given a path, in SQLite (WAL mode):
 * writes go through a bounded queue drained by one writer thread, so put and
 * delete never wait on the disk; a full queue drops the write (counted and
 * logged; the memory copy still serves). A read that misses memory does one
 * primary-key SELECT on a separate read connection, in the caller's thread.
 *
 * Without open (or with a NULL path) the store works in memory only.
 */
#ifndef LMX_RESPSTORE_H
#define LMX_RESPSTORE_H

#include <stddef.h>
#include <stdint.h>

/* Defaults for the memory map and the write queue. */
#define LMX_RESPSTORE_MAX_ENTRIES 10000
#define LMX_RESPSTORE_MAX_BYTES   ((size_t)64 << 20)
#define LMX_RESPSTORE_QUEUE_MAX   4096

/*
 * Adds persistence in the SQLite file `path` (created with its table when
 * absent); NULL keeps the store in memory only. The database is opened and
 * the writer thread started at the first use, not here; a failure then is
 * logged and leaves the store memory-only. Returns 0, LMX_EIO when the
 * file's directory is not writable (logged; memory only), LMX_ENOMEM, or
 * LMX_EINTERNAL when already open.
 */
int lmx_respstore_open(const char *path);

/*
 * Writes what is queued, stops the writer thread, closes the database and
 * empties the memory map. The store may be opened again afterwards.
 */
void lmx_respstore_close(void);

/*
 * Stores a copy of `json` (len bytes) under `id`, replacing any record.
 * Returns 0 (also when the disk write had to be dropped: the memory copy
 * still serves), LMX_EBADREQ for an empty id, or LMX_ENOMEM. Never blocks on
 * the disk.
 */
int lmx_respstore_put(const char *id, const char *json, size_t len);

/*
 * The record of `id`: a NUL-terminated copy the caller frees with lmx_free,
 * its length in *len (may be NULL). NULL when unknown, deleted, or out of
 * memory.
 */
char *lmx_respstore_get(const char *id, size_t *len);

/* Removes `id`. Returns 0 when it existed, LMX_ENOTFOUND otherwise. */
int lmx_respstore_delete(const char *id);

/* Bounds of the memory map (0 = the default); records over them are evicted at once. */
void lmx_respstore_set_limits(size_t max_entries, size_t max_bytes);

struct lmx_respstore_stats {
    uint64_t entries;        /* records in memory */
    uint64_t bytes;          /* their bytes */
    uint64_t evicted;        /* records dropped from memory by the bounds */
    uint64_t queue_dropped;  /* disk writes lost to a full queue */
    uint64_t write_failures; /* disk writes SQLite refused */
    uint64_t disk_reads;     /* reads served from SQLite */
};

void lmx_respstore_get_stats(struct lmx_respstore_stats *out);

#endif
