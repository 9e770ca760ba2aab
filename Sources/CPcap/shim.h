#include <pcap/pcap.h>
#include "stream.h"
#include <stdio.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <stdio_ext.h>
#endif

// libpcap reads a savefile with two fread calls per frame through a FILE. A large buffer makes the
// read system calls rare (the default is one 4 KiB page per call), and a FILE that only one thread
// uses needs no lock per call. Returns the buffer, which must outlive the FILE (free it after
// pcap_close), or NULL when the defaults stay.
static inline void *sgreplay_prepare_capture_file(FILE *file) {
    enum { size = 1 << 16 };
    void *buffer = malloc(size);
    if (buffer && setvbuf(file, buffer, _IOFBF, size) != 0) {
        free(buffer);
        buffer = NULL;
    }
#if defined(__GLIBC__)
    __fsetlocking(file, FSETLOCKING_BYCALLER);
#endif
    return buffer;
}
