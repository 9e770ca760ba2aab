// The capture as a byte stream for libpcap: a stdio FILE (fopencookie; funopen on Darwin) whose read
// function reads a file descriptor, through zlib's inflate when the stream starts with the gzip
// magic (1f 8b) and as it is otherwise, so that libpcap reads .pcap.gz and .pcapng.gz, from a file
// or from standard input, as it reads an uncompressed capture: streaming, nothing decompressed
// ahead but one buffer, and never to memory or disk as a whole.
//
// The same read function watches the bytes libpcap is given. When they are pcapng (the first block
// is a Section Header Block, in either byte order; later sections may change it), it walks the
// block headers as the bytes pass and keeps each custom block (types 0x00000BAD and 0x40000BAD):
// where it lies in the stream, its type and its body. libpcap skips those blocks silently, but
// Wireshark lists them as frames; the reader (CaptureReader.swift) hands them out between libpcap's
// packets, placed by the position libpcap has consumed (ftell, answered by the seek function).
//
// Costs: one system call per 64 KiB as before (the FILE's buffer, sgreplay_prepare_capture_file);
// the walk looks at block headers only; a custom block's body is copied (they are rare).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

enum {
    sgreplay_stream_input_size = 1 << 17,
    /// A block longer than this ends the walk (libpcap refuses blocks over 16 MiB anyway).
    sgreplay_stream_max_block = 64 << 20,
};

/// Custom blocks waiting for libpcap's next packet are held in memory, up to this many bytes; past
/// it the stream fails (`sgreplay_stream_custom_blocks_overflowed`), and the reader rereads the file
/// with its own pcapng reader, which streams them.
static const int64_t sgreplay_stream_max_waiting = (int64_t)64 << 20;

/// A custom block seen in the stream: [start, end) in decompressed stream offsets.
typedef struct {
    int64_t start;
    int64_t end;
    uint32_t type;
    uint8_t *body;
    uint32_t length;
} sgreplay_custom_block;

typedef struct {
    int fd;
    int owns_fd;
    /// A regular file (bytes read can be set against its size).
    int regular;
    int gzip;
    /// gzip: a member ended; the next bytes start another member or end the stream.
    int member_end;
    /// gzip: the stream ended (after a member, at the end of input or before trailing garbage).
    int done;
    int raw_eof;
    /// Set once reading failed; the read function returns -1 from then on.
    int failed;
    char error[192];
    z_stream z;
    int z_ready;
    /// Raw (compressed, or peeked plain) input: input[start ..< start + count].
    uint8_t *input;
    size_t input_start;
    size_t input_count;
    /// Raw bytes read from the descriptor, and decompressed bytes handed to stdio.
    int64_t raw_total;
    int64_t position;

    // The pcapng walk. walk: 0 not yet known, 1 walking, -1 off (classic pcap, or given up).
    int walk;
    int big_endian;
    /// The first section's byte order (-1 before it), and where a section of the other one starts
    /// (-1: none): libpcap 1.10 misreads such a section.
    int first_big_endian;
    int64_t byte_order_change;
    uint8_t header[12];
    uint32_t header_count;
    uint32_t block_type;
    int64_t block_start;
    int64_t block_length;
    /// Bytes of the current block still to pass, once its header is complete.
    int64_t block_left;
    /// The custom block being copied (body NULL when the current block is not one).
    uint8_t *body;
    uint32_t body_length;
    uint32_t body_count;

    // Custom blocks seen and not yet handed out: blocks[first ..< count].
    sgreplay_custom_block *blocks;
    size_t blocks_first;
    size_t blocks_count;
    size_t blocks_capacity;
    /// The body handed out last, freed at the next hand-out or at close.
    uint8_t *handed;
    /// Bytes of the waiting custom blocks, and whether they grew past sgreplay_stream_max_waiting.
    int64_t waiting;
    int overflowed;
    /// A classic pcap regular file, read through a plain FILE (no custom blocks, no gzip): stdio's
    /// own reads are cheaper than its generic ones for a cookie stream (a 16-byte record header is
    /// copied byte by byte there). Its fclose does not free this struct: the owner does.
    FILE *direct;
} sgreplay_stream;

static inline void sgreplay_stream_fail(sgreplay_stream *s, const char *message) {
    if (!s->failed) {
        s->failed = 1;
        snprintf(s->error, sizeof s->error, "%s", message);
    }
}

static inline uint32_t sgreplay_stream_load32(const sgreplay_stream *s, const uint8_t *b) {
    uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return s->big_endian ? __builtin_bswap32(v) : v;
}

static inline void sgreplay_stream_keep_block(sgreplay_stream *s) {
    if (s->blocks_count == s->blocks_capacity) {
        if (s->blocks_first > 0) {
            memmove(s->blocks, s->blocks + s->blocks_first,
                (s->blocks_count - s->blocks_first) * sizeof *s->blocks);
            s->blocks_count -= s->blocks_first;
            s->blocks_first = 0;
        } else {
            size_t capacity = s->blocks_capacity ? s->blocks_capacity * 2 : 8;
            sgreplay_custom_block *grown = realloc(s->blocks, capacity * sizeof *grown);
            if (!grown) {
                free(s->body);
                s->body = NULL;
                return;  // out of memory: the block is lost, the capture still reads
            }
            s->blocks = grown;
            s->blocks_capacity = capacity;
        }
    }
    sgreplay_custom_block *b = &s->blocks[s->blocks_count++];
    b->start = s->block_start;
    b->end = s->block_start + s->block_length;
    b->type = s->block_type;
    b->body = s->body;
    b->length = s->body_length;
    s->body = NULL;
    s->waiting += b->length;
    if (s->waiting > sgreplay_stream_max_waiting && !s->failed) {
        s->overflowed = 1;
        sgreplay_stream_fail(s, "more than 64 MiB of pcapng custom blocks without a packet between them");
    }
}

/// Follows the pcapng block structure over bytes handed to stdio.
static inline void sgreplay_stream_walk(sgreplay_stream *s, const uint8_t *bytes, size_t count) {
    while (count > 0 && s->walk >= 0) {
        if (s->block_left == 0 && s->header_count == 0 && s->walk == 1 && count >= 8) {
            // The common case: a packet block's header whole in this chunk, read where it lies.
            uint32_t type = sgreplay_stream_load32(s, bytes);
            uint32_t length = sgreplay_stream_load32(s, bytes + 4);
            if (type != 0x0A0D0D0A && type != 0x00000BAD && type != 0x40000BAD && length >= 12
                && length % 4 == 0 && length <= sgreplay_stream_max_block) {
                if (length <= count) {
                    bytes += length;
                    count -= length;
                } else {
                    s->block_type = type;
                    s->block_length = length;
                    s->block_left = length - (int64_t)count;
                    count = 0;
                }
                if (s->block_left == 0) s->block_start += length;
                continue;
            }
        }
        if (s->block_left == 0) {
            // Collect the header: type and length, and for a section header its byte-order magic.
            uint32_t need = 8;
            if (s->header_count >= 4 && memcmp(s->header, "\x0A\x0D\x0D\x0A", 4) == 0) need = 12;
            uint32_t take = need - s->header_count;
            if (take > count) take = (uint32_t)count;
            memcpy(s->header + s->header_count, bytes, take);
            s->header_count += take;
            bytes += take;
            count -= take;
            if (s->header_count < 4) continue;
            int section = memcmp(s->header, "\x0A\x0D\x0D\x0A", 4) == 0;
            if (s->walk == 0 && !section) {
                s->walk = -1;  // not pcapng
                return;
            }
            if (s->header_count < (section ? 12u : 8u)) continue;
            if (section) {
                if (memcmp(s->header + 8, "\x4D\x3C\x2B\x1A", 4) == 0) s->big_endian = 0;
                else if (memcmp(s->header + 8, "\x1A\x2B\x3C\x4D", 4) == 0) s->big_endian = 1;
                else { s->walk = -1; return; }
                if (s->walk == 0) s->first_big_endian = s->big_endian;
                else if (s->big_endian != s->first_big_endian && s->byte_order_change < 0)
                    s->byte_order_change = s->block_start;
            }
            s->walk = 1;
            s->block_type = sgreplay_stream_load32(s, s->header);
            s->block_length = sgreplay_stream_load32(s, s->header + 4);
            if (s->block_length < s->header_count + 4 || s->block_length % 4 != 0
                || s->block_length > sgreplay_stream_max_block) {
                s->walk = -1;  // corrupt: libpcap reports it; nothing after it is placed
                return;
            }
            s->block_left = s->block_length - s->header_count;
            s->body_count = 0;
            if (s->block_type == 0x00000BAD || s->block_type == 0x40000BAD) {
                s->body_length = (uint32_t)(s->block_length - 12);
                s->body = malloc(s->body_length ? s->body_length : 1);
            }
            continue;
        }
        size_t take = s->block_left < (int64_t)count ? (size_t)s->block_left : count;
        if (s->body && s->body_count < s->body_length) {
            size_t copy = s->body_length - s->body_count;
            if (copy > take) copy = take;
            memcpy(s->body + s->body_count, bytes, copy);
            s->body_count += (uint32_t)copy;
        }
        bytes += take;
        count -= take;
        s->block_left -= take;
        if (s->block_left == 0) {
            if (s->body && s->big_endian && s->body_length >= 4) {
                // The Private Enterprise Number as a little-endian section has it (as PcapngReader
                // gives it, and as Wireshark writes a copied block); the data after it is opaque.
                uint8_t *p = s->body, t;
                t = p[0]; p[0] = p[3]; p[3] = t;
                t = p[1]; p[1] = p[2]; p[2] = t;
            }
            if (s->body) sgreplay_stream_keep_block(s);
            s->block_start += s->block_length;
            s->header_count = 0;
        }
    }
}

static inline int sgreplay_stream_fill(sgreplay_stream *s) {
    if (s->input_start > 0) {
        memmove(s->input, s->input + s->input_start, s->input_count);
        s->input_start = 0;
    }
    for (;;) {
        ssize_t n = read(s->fd, s->input + s->input_count, sgreplay_stream_input_size - s->input_count);
        if (n > 0) {
            s->input_count += (size_t)n;
            s->raw_total += n;
            return 1;
        }
        if (n == 0) {
            s->raw_eof = 1;
            return 0;
        }
        if (errno == EINTR) continue;
        char message[160];
        snprintf(message, sizeof message, "error reading: %s", strerror(errno));
        sgreplay_stream_fail(s, message);
        return -1;
    }
}

static inline ssize_t sgreplay_stream_inflate(sgreplay_stream *s, uint8_t *buffer, size_t size) {
    if (s->done) return 0;
    s->z.next_out = buffer;
    s->z.avail_out = (uInt)(size > 0x40000000u ? 0x40000000u : size);
    uInt asked = s->z.avail_out;
    while (s->z.avail_out == asked) {
        if (s->member_end) {
            // Another member (concatenated .gz files read as one), or the end.
            while (s->input_count < 2 && !s->raw_eof)
                if (sgreplay_stream_fill(s) < 0) return -1;
            if (s->input_count < 2 || s->input[s->input_start] != 0x1f || s->input[s->input_start + 1] != 0x8b) {
                s->done = 1;  // the end; bytes after the last member are ignored, as gzip and gzread do
                break;
            }
            inflateReset(&s->z);
            s->member_end = 0;
        }
        if (s->input_count == 0) {
            if (s->raw_eof) {
                char message[160];
                snprintf(message, sizeof message,
                    "the gzip stream is cut short: the input ends inside compressed data, after %lld bytes",
                    (long long)s->raw_total);
                sgreplay_stream_fail(s, message);
                break;
            }
            if (sgreplay_stream_fill(s) < 0) break;
            continue;
        }
        s->z.next_in = s->input + s->input_start;
        s->z.avail_in = (uInt)s->input_count;
        int status = inflate(&s->z, Z_NO_FLUSH);
        size_t used = s->input_count - s->z.avail_in;
        s->input_start += used;
        s->input_count -= used;
        if (status == Z_STREAM_END) {
            s->member_end = 1;
        } else if (status != Z_OK && status != Z_BUF_ERROR) {
            char message[160];
            snprintf(message, sizeof message, "the gzip stream is corrupt at compressed byte %lld: %s",
                (long long)(s->raw_total - (int64_t)s->input_count),
                s->z.msg ? s->z.msg : (status == Z_MEM_ERROR ? "out of memory" : "bad data"));
            sgreplay_stream_fail(s, message);
            break;
        }
    }
    size_t produced = asked - s->z.avail_out;
    if (produced == 0 && s->failed) return -1;
    return (ssize_t)produced;
}

static inline ssize_t sgreplay_stream_read(void *cookie, char *buffer, size_t size) {
    sgreplay_stream *s = cookie;
    if (s->failed) {
        errno = EIO;
        return -1;
    }
    ssize_t produced;
    if (s->gzip) {
        produced = sgreplay_stream_inflate(s, (uint8_t *)buffer, size);
    } else if (s->input_count > 0) {
        produced = (ssize_t)(s->input_count < size ? s->input_count : size);
        memcpy(buffer, s->input + s->input_start, (size_t)produced);
        s->input_start += (size_t)produced;
        s->input_count -= (size_t)produced;
    } else {
        for (;;) {
            produced = read(s->fd, buffer, size);
            if (produced >= 0 || errno != EINTR) break;
        }
        if (produced < 0) {
            char message[160];
            snprintf(message, sizeof message, "error reading: %s", strerror(errno));
            sgreplay_stream_fail(s, message);
        } else {
            s->raw_total += produced;
        }
    }
    if (produced < 0) {
        errno = EIO;
        return -1;
    }
    if (s->walk >= 0) sgreplay_stream_walk(s, (const uint8_t *)buffer, (size_t)produced);
    s->position += produced;
    return produced;
}

/// Only the question ftell asks (where are we) is answered; the stream cannot move.
static inline int sgreplay_stream_seek(void *cookie, int64_t *offset, int whence) {
    sgreplay_stream *s = cookie;
    if ((whence == SEEK_CUR && *offset == 0) || (whence == SEEK_SET && *offset == s->position)) {
        *offset = s->position;
        return 0;
    }
    errno = ESPIPE;
    return -1;
}

static inline void sgreplay_stream_free(sgreplay_stream *s) {
    if (s->z_ready) inflateEnd(&s->z);
    if (s->owns_fd) close(s->fd);
    for (size_t i = s->blocks_first; i < s->blocks_count; i++) free(s->blocks[i].body);
    free(s->blocks);
    free(s->body);
    free(s->handed);
    free(s->input);
    free(s);
}

static inline int sgreplay_stream_close(void *cookie) {
    sgreplay_stream_free(cookie);
    return 0;
}

#if defined(__APPLE__)
static inline int sgreplay_stream_read_darwin(void *cookie, char *buffer, int size) {
    return (int)sgreplay_stream_read(cookie, buffer, size > 0 ? (size_t)size : 0);
}
static inline fpos_t sgreplay_stream_seek_darwin(void *cookie, fpos_t offset, int whence) {
    int64_t o = offset;
    return sgreplay_stream_seek(cookie, &o, whence) == 0 ? (fpos_t)o : -1;
}
#else
// glibc's (and musl's) cookie_io_functions_t, declared here under another name: the real one is
// visible only with _GNU_SOURCE, which the Swift importer's C modules are not built with.
typedef struct {
    ssize_t (*read)(void *, char *, size_t);
    ssize_t (*write)(void *, const char *, size_t);
    int (*seek)(void *, int64_t *, int);
    int (*close)(void *);
} sgreplay_cookie_functions;
extern FILE *sgreplay_fopencookie(void *cookie, const char *mode, sgreplay_cookie_functions functions)
    __asm__("fopencookie");
#endif

/// The four magic numbers of classic pcap (microsecond and nanosecond, either byte order).
static inline int sgreplay_is_classic_pcap(const uint8_t *b) {
    uint32_t m = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1;
}

/// Whether the stream is a plain FILE on a classic pcap file, whose fclose leaves the stream to free.
static inline int sgreplay_stream_is_direct(const sgreplay_stream *s) { return s->direct != NULL; }

/// Opens `path` (NULL: standard input, which stays open afterwards) as a capture stream. Returns
/// the FILE, whose fclose frees the stream, and the stream itself in `stream` for the questions
/// below; NULL with errno set when the file cannot be opened (or the first read fails: then
/// `error` holds the message, of at most `error_size` bytes).
static inline FILE *sgreplay_open_capture_stream(
    const char *path, sgreplay_stream **stream, char *error, size_t error_size
) {
    *stream = NULL;
    if (error_size) error[0] = 0;
    sgreplay_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->input = malloc(sgreplay_stream_input_size);
    if (!s->input) {
        free(s);
        errno = ENOMEM;
        return NULL;
    }
    if (path) {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            int saved = errno;
            free(s->input);
            free(s);
            errno = saved;
            return NULL;
        }
        s->owns_fd = 1;
    } else {
        s->fd = STDIN_FILENO;
    }
    struct stat info;
    s->regular = fstat(s->fd, &info) == 0 && S_ISREG(info.st_mode);
    s->first_big_endian = -1;
    s->byte_order_change = -1;
    // Peek at the first bytes: the gzip magic decides, whatever the file's name.
    while (s->input_count < 4 && !s->raw_eof)
        if (sgreplay_stream_fill(s) < 0) break;
    if (s->failed) {
        if (error_size) snprintf(error, error_size, "%s", s->error);
        sgreplay_stream_free(s);
        errno = EIO;
        return NULL;
    }
    if (s->input_count >= 2 && s->input[0] == 0x1f && s->input[1] == 0x8b) {
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {  // a gzip wrapper only
            sgreplay_stream_free(s);
            errno = ENOMEM;
            return NULL;
        }
        s->z_ready = 1;
        s->gzip = 1;
    }
    if (path && s->regular && !s->gzip && s->input_count >= 4 && sgreplay_is_classic_pcap(s->input)
        && lseek(s->fd, 0, SEEK_SET) == 0) {
        FILE *direct = fdopen(s->fd, "rb");
        if (direct) {
            s->owns_fd = 0;  // the FILE has it now
            s->direct = direct;
            s->walk = -1;
            s->input_count = 0;
            *stream = s;
            return direct;
        }
    }
#if defined(__APPLE__)
    FILE *file = funopen(s, sgreplay_stream_read_darwin, NULL, sgreplay_stream_seek_darwin, sgreplay_stream_close);
#else
    sgreplay_cookie_functions functions = {
        .read = sgreplay_stream_read, .write = NULL, .seek = sgreplay_stream_seek, .close = sgreplay_stream_close,
    };
    FILE *file = sgreplay_fopencookie(s, "rb", functions);
#endif
    if (!file) {
        sgreplay_stream_free(s);
        errno = ENOMEM;
        return NULL;
    }
    *stream = s;
    return file;
}

/// Whether the stream is gzip-compressed.
static inline int sgreplay_stream_is_gzip(const sgreplay_stream *s) { return s->gzip; }

/// Whether the input is a regular file.
static inline int sgreplay_stream_is_regular(const sgreplay_stream *s) { return s->regular; }

/// Raw bytes of the input consumed so far (compressed bytes for gzip), for progress.
static inline int64_t sgreplay_stream_raw_position(const sgreplay_stream *s) {
    return s->raw_total - (int64_t)s->input_count;
}

/// The message of a failed read or a bad gzip stream, or NULL while reading goes well.
static inline const char *sgreplay_stream_error(const sgreplay_stream *s) {
    return s->failed ? s->error : NULL;
}

/// Whether custom blocks are waiting to be handed out (a field test, for every frame).
static inline int sgreplay_stream_has_custom_blocks(const sgreplay_stream *s) {
    return s->blocks_first < s->blocks_count;
}

/// Hands out the first waiting custom block if it ends at or before `consumed` (a stream offset;
/// negative: whatever its place). Its body stays valid until the next call or the FILE's close.
static inline int sgreplay_stream_next_custom_block(
    sgreplay_stream *s, int64_t consumed, uint32_t *type, const uint8_t **body, uint32_t *length
) {
    if (s->blocks_first >= s->blocks_count) return 0;
    sgreplay_custom_block *b = &s->blocks[s->blocks_first];
    if (consumed >= 0 && b->end > consumed) return 0;
    free(s->handed);
    s->handed = b->body;
    *type = b->type;
    *body = b->body;
    *length = b->length;
    s->waiting -= b->length;
    b->body = NULL;
    s->blocks_first++;
    if (s->blocks_first == s->blocks_count) s->blocks_first = s->blocks_count = 0;
    return 1;
}

/// Stops noting custom blocks (for a reader that numbers them itself).
static inline void sgreplay_stream_ignore_custom_blocks(sgreplay_stream *s) { s->walk = -1; }

/// Where the first pcapng section in the other byte order than the first section's starts, in the
/// decompressed stream; -1 when there is none (so far).
static inline int64_t sgreplay_stream_byte_order_change(const sgreplay_stream *s) { return s->byte_order_change; }

/// Whether the stream failed because too many custom blocks waited for a packet.
static inline int sgreplay_stream_custom_blocks_overflowed(const sgreplay_stream *s) { return s->overflowed; }
