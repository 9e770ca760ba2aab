// Two hints Swift has no intrinsic for.
#ifndef SGREPLAY_PREFETCH_H
#define SGREPLAY_PREFETCH_H
// The tracking table is looked up at random over megabytes, so the replay asks for a flow's slot a
// few frames before it judges that frame (see Analysis).
static inline void sgreplay_prefetch(const void *address) { __builtin_prefetch(address, 1, 3); }
// A thread waiting a few hundred cycles for the other one (PipelinedAnalysis) tells the core so.
static inline void sgreplay_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif
