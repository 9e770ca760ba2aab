// Swift has no prefetch intrinsic. The tracking table is looked up at random over megabytes, so
// the replay asks for a flow's slot a few frames before it judges that frame (see Analysis).
#ifndef SGREPLAY_PREFETCH_H
#define SGREPLAY_PREFETCH_H
static inline void sgreplay_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }
#endif
