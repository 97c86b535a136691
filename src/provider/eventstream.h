/*
 * provider/eventstream.h - the Amazon event stream binary framing
 * (application/vnd.amazon.eventstream): decoder and encoder.
 *
 * A message is: total length (uint32 BE), headers length (uint32 BE), CRC32
 * of those 8 bytes, the headers, the payload, and the CRC32 of everything
 * before it. Both CRCs are checked. A header is a 1-byte name length, the
 * name, a 1-byte value type and the value (see enum lmx_es_type).
 *
 * The decoder takes bytes in any split and hands each whole message to a
 * callback; the encoder (used by tests and llmux-mock) writes one message.
 *
 * Not here: what the messages mean (provider/bedrock.c).
 */
#ifndef LMX_EVENTSTREAM_H
#define LMX_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/lmx.h"

#define LMX_ES_MAX_HEADERS      32           /* headers in one message */
#define LMX_ES_MAX_HEADER_BYTES (128u << 10) /* header block of one message (spec: 128 KiB) */
#define LMX_ES_MAX_MESSAGE      (16u << 20)  /* default cap of one message (spec: 16 MiB) */
#define LMX_ES_PRELUDE          12
#define LMX_ES_MIN_MESSAGE      16

/* Header value types, numbered as on the wire. */
enum lmx_es_type {
    LMX_ES_TRUE = 0,
    LMX_ES_FALSE = 1,
    LMX_ES_BYTE = 2,
    LMX_ES_SHORT = 3,
    LMX_ES_INT = 4,
    LMX_ES_LONG = 5,
    LMX_ES_BYTES = 6,
    LMX_ES_STRING = 7,
    LMX_ES_TIMESTAMP = 8, /* int64 milliseconds since the epoch */
    LMX_ES_UUID = 9,      /* 16 bytes */
};

/*
 * One header. Decoded headers point into the message bytes (valid only
 * during the callback). For TRUE/FALSE `i` is 1/0; for BYTE, SHORT, INT,
 * LONG and TIMESTAMP `i` is the signed value; BYTES, STRING and UUID use
 * `v`/`v_len` (the encoder reads them too).
 */
struct lmx_es_header {
    const char *name;
    size_t name_len;
    enum lmx_es_type type;
    int64_t i;
    const uint8_t *v;
    size_t v_len;
};

struct lmx_es_msg {
    struct lmx_es_header headers[LMX_ES_MAX_HEADERS];
    size_t nheaders;
    const uint8_t *payload;
    size_t payload_len;
};

/* Receives one decoded message (borrowed). A negative return stops the decoder and is passed up. */
typedef int (*lmx_es_cb)(const struct lmx_es_msg *m, void *ud);

struct lmx_es_decoder {
    struct lmx_buf pending; /* bytes of a message not yet whole */
    size_t max_message;
    uint32_t total; /* total length of the pending message, once its prelude is in */
    int failed;     /* the first error, returned again by every later feed */
};

/* Embeds a decoder that refuses messages longer than max_message (0: LMX_ES_MAX_MESSAGE). */
void lmx_es_decoder_init(struct lmx_es_decoder *d, size_t max_message);
void lmx_es_decoder_release(struct lmx_es_decoder *d);

/*
 * Feeds n bytes; calls cb once per whole message, in order. Returns 0;
 * LMX_EUPSTREAM when the bytes are not a valid event stream (bad CRC, bad
 * lengths, a malformed header); LMX_ETOOBIG when a message is longer than
 * the cap or has more than LMX_ES_MAX_HEADERS headers; LMX_ENOMEM; or cb's
 * negative return. After an error the decoder is dead: every later call
 * returns that error.
 */
int lmx_es_decoder_feed(struct lmx_es_decoder *d, const void *p, size_t n, lmx_es_cb cb, void *ud);

/* True when the decoder holds part of a message (the stream ended mid-message). */
bool lmx_es_decoder_partial(const struct lmx_es_decoder *d);

/*
 * Decodes one whole message of exactly n bytes into *m (pointing into p).
 * Returns 0, LMX_EUPSTREAM or LMX_ETOOBIG as lmx_es_decoder_feed.
 */
int lmx_es_parse(const void *p, size_t n, struct lmx_es_msg *m);

/* The first header named `name`, or NULL. */
const struct lmx_es_header *lmx_es_find(const struct lmx_es_msg *m, const char *name);

/* True when header `name` is a STRING equal to `value`. */
bool lmx_es_str_is(const struct lmx_es_msg *m, const char *name, const char *value);

/*
 * Appends one encoded message with headers h[0..nh) and the payload to out.
 * Returns 0, LMX_EBADREQ (a name empty or longer than 255 bytes, a value
 * longer than 32767 bytes, a UUID not of 16 bytes, an unknown type, too
 * many headers or header bytes), or a buffer error.
 */
int lmx_es_encode(
    struct lmx_buf *out, const struct lmx_es_header *h, size_t nh, const void *payload, size_t len);

/* A STRING header for the encoder. */
static inline struct lmx_es_header lmx_es_string(const char *name, const char *value)
{
    struct lmx_es_header h = {0};
    size_t n = 0, k = 0;

    while (name[n] != '\0')
        n++;
    while (value[k] != '\0')
        k++;
    h.name = name;
    h.name_len = n;
    h.type = LMX_ES_STRING;
    h.v = (const uint8_t *)value;
    h.v_len = k;
    return h;
}

#endif
