// Swift cannot see ncurses' macros and mutable globals; these inline
// accessors expose exactly what the Dashboard's Terminal needs.
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

static inline WINDOW *reslab_stdscr(void) { return stdscr; }
static inline int reslab_lines(void) { return LINES; }
static inline int reslab_cols(void) { return COLS; }
static inline int reslab_colors(void) { return COLORS; }
static inline int reslab_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int reslab_a_bold(void) { return (int)A_BOLD; }
static inline int reslab_a_dim(void) { return (int)A_DIM; }
static inline int reslab_a_reverse(void) { return (int)A_REVERSE; }
static inline int reslab_a_underline(void) { return (int)A_UNDERLINE; }
static inline int reslab_key_f(int n) { return KEY_F(n); }
