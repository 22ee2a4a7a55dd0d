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
static inline int reslab_color_pairs(void) { return COLOR_PAIRS; }
static inline int reslab_set_attributes(int attributes) { return wattrset(stdscr, attributes); }
static inline mmask_t reslab_click_mask(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
static inline int reslab_key_mouse(void) { return KEY_MOUSE; }
static inline int reslab_key_resize(void) { return KEY_RESIZE; }
#include <ncursesw/term.h>
/// 1 if the terminfo database knows `name`.
static inline int reslab_terminal_known(const char *name) {
    int status = 0;
    return setupterm(name, 1, &status) == OK;
}
