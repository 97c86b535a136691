/*
 * upstream/sse.h - Server-Sent Events: an incremental reader and a writer.
 *
 * The reader takes a byte stream in any split (one byte at a time works) with
 * LF, CRLF or CR line endings, and hands each complete event to a callback.
 * It follows the WHATWG event-stream rules: lines starting with ':' are
 * comments; "event", "data", "id" and "retry" fields are understood (one
 * space after the colon is dropped); several data lines are joined with "\n";
 * a blank line dispatches the event; an event without any data line is not
 * dispatched; a UTF-8 BOM at the very start is skipped. Unknown fields are
 * ignored. After warm-up the reader does not allocate per event.
 */
#ifndef LMX_SSE_H
#define LMX_SSE_H

#include <stddef.h>

#include "core/lmx.h"

#include "core/buf.h"

/*
 * Called once per event. `event` is the event type ("" when the event had no
 * "event:" field), `data` the data lines joined with "\n"; both are
 * NUL-terminated and valid only during the call. Return 0 to go on, or a
 * negative code to stop: lmx_sse_reader_feed then returns that code at once.
 */
typedef int (*lmx_sse_event_cb)(
    const char *event, size_t event_len, const char *data, size_t data_len, void *ud);

/* Embed in the caller's struct; the fields are private except where noted. */
struct lmx_sse_reader {
    struct lmx_buf line;  /* partial line carried over between feeds */
    struct lmx_buf data;  /* data of the event being read */
    struct lmx_buf event; /* event type of the event being read */
    struct lmx_buf id;    /* public: last event id seen ("id:" field), NUL-terminated */
    long retry_ms;        /* public: last "retry:" value, -1 when none */
    size_t max;           /* cap on one event (type + data) and on one line */
    bool has_data;        /* a data line was seen for the current event */
    bool skip_lf;         /* the last feed ended with CR: drop a leading LF */
    unsigned char bom;    /* BOM bytes matched at stream start; 3 = done */
};

/* Prepares an empty reader; one event (or one line) may hold up to max_event_bytes. Never fails. */
void lmx_sse_reader_init(struct lmx_sse_reader *r, size_t max_event_bytes);
/* Frees the reader's buffers; it may be initialised again afterwards. */
void lmx_sse_reader_release(struct lmx_sse_reader *r);
/* Forgets any partial line or event (buffers are kept) to read a new stream. */
void lmx_sse_reader_reset(struct lmx_sse_reader *r);

/*
 * Feeds n more bytes. Returns 0; LMX_ETOOBIG when one event or line passes the
 * cap; LMX_ENOMEM; or the callback's negative return. After a failure the
 * rest of the input is dropped and the reader must be reset before reuse.
 */
int lmx_sse_reader_feed(
    struct lmx_sse_reader *r, const char *p, size_t n, lmx_sse_event_cb cb, void *ud);
/*
 * At the end of the stream: a last line without its line ending is read, and
 * an event still pending (the stream ended without a blank line) is
 * dispatched. Returns like lmx_sse_reader_feed. The reader is reset after.
 */
int lmx_sse_reader_finish(struct lmx_sse_reader *r, lmx_sse_event_cb cb, void *ud);

/*
 * Appends one event to out: "event: <event>\n" (when event is not NULL), one
 * "data: <line>\n" per line of data (a CR, LF or CRLF in data starts a new
 * line), then "\n". Returns 0, LMX_ETOOBIG or LMX_ENOMEM, leaving out
 * unchanged on failure; LMX_EINTERNAL when event contains a CR or LF.
 */
int lmx_sse_write(struct lmx_buf *out, const char *event, const char *data, size_t len);

#endif
