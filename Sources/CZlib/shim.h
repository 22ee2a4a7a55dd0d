// zlib, for reading gzip-compressed dataset files. `inflateInit2` is a macro;
// this wrapper makes it callable from Swift.
#include <zlib.h>

static inline int reslab_inflate_init(z_stream *stream) {
    // 15 window bits + 32: accept a gzip or a zlib header.
    return inflateInit2(stream, 15 + 32);
}
