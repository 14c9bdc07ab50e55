/* `?` help: generated from the command and key tables (keys.h), so it always
 * shows the bindings that are really in effect for the view it was opened from. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"
#include "tui/view.h"

struct help_line {
    char *text;
    enum tui_role role;
};

struct help {
    struct help_line *lines;
    int n, cap;
    struct list_pos pos;
    enum tui_keymap km;
    char find[128];
};

static void
help_add(struct help *h, enum tui_role role, const char *text)
{
    h->lines = xgrow(h->lines, sizeof *h->lines, h->n, &h->cap, 64);
    h->lines[h->n++] = (struct help_line){xstrdup(text), role};
}

static int
help_open(struct tui *tui, struct view *v, void *arg, struct ps_err *err)
{
    (void)tui;
    (void)err;
    struct help *h = v->priv;
    const struct view_ops *from = arg;
    h->km = from ? from->keymap : KM_GENERIC;
    char line[512];
    snprintf(line, sizeof line, "Keys of the %s view (then generic), and every command for ':'",
             keys_keymap_name(h->km));
    help_add(h, ROLE_DIM, line);
    const char *groups[16];
    int ng = 0;
    for (int c = 1; c < CMD__COUNT; c++) {
        const char *g = keys_cmd_info((enum tui_cmd)c)->group;
        int seen = 0;
        for (int i = 0; i < ng; i++)
            seen |= strcmp(groups[i], g) == 0;
        if (!seen && ng < 16)
            groups[ng++] = g;
    }
    for (int gi = 0; gi < ng; gi++) {
        help_add(h, ROLE_DEFAULT, "");
        help_add(h, ROLE_SECTION, groups[gi]);
        for (int c = 1; c < CMD__COUNT; c++) {
            const struct tui_cmd_info *info = keys_cmd_info((enum tui_cmd)c);
            if (strcmp(info->group, groups[gi]) != 0)
                continue;
            char keys[128] = "", gen[128] = "";
            keys_bindings(h->km, (enum tui_cmd)c, keys, sizeof keys);
            if (h->km != KM_GENERIC)
                keys_bindings(KM_GENERIC, (enum tui_cmd)c, gen, sizeof gen);
            char both[260];
            snprintf(both, sizeof both, "%s%s%s", keys, keys[0] && gen[0] ? " " : "", gen);
            snprintf(line, sizeof line, "  %-22s :%-18s %s", both[0] ? both : "-", info->name,
                     info->help);
            help_add(h, ROLE_DEFAULT, line);
        }
    }
    help_add(h, ROLE_DEFAULT, "");
    help_add(h, ROLE_DIM,
             "Labels are stored as judgments by human:<you>; u undoes. q closes this help.");
    return PS_OK;
}

static void
help_done(struct tui *tui, struct view *v)
{
    (void)tui;
    struct help *h = v->priv;
    for (int i = 0; i < h->n; i++)
        free(h->lines[i].text);
    free(h->lines);
}

static void
help_draw(struct tui *tui, struct view *v)
{
    struct help *h = v->priv;
    struct rect a = v->area;
    draw_fill(tui, a.y, a.x, a.w, ROLE_TITLE);
    draw_printf(tui, a.y, a.x, a.w, ROLE_TITLE, " help · %s", keys_keymap_name(h->km));
    int rows = a.h - 1;
    /* The help scrolls as a page: the cursor is its top line. */
    if (h->pos.top > h->n - rows)
        h->pos.top = h->n - rows;
    if (h->pos.top < 0)
        h->pos.top = 0;
    for (int i = 0; i < rows && h->pos.top + i < h->n; i++) {
        const struct help_line *l = &h->lines[h->pos.top + i];
        draw_text(tui, a.y + 1 + i, a.x, a.w, l->role, l->text, strlen(l->text), 1);
    }
}

/* Scroll to the next line (from `from`, in direction dir) containing the help
 * search text, case-insensitively. */
static int
help_find(struct tui *tui, struct help *h, int64_t from, int dir)
{
    if (!h->find[0]) {
        tui_err(tui, "no search yet: / starts one");
        return TUI_R_HANDLED;
    }
    size_t fl = strlen(h->find);
    for (int64_t k = 0; k < h->n; k++) {
        int64_t i = ((from + dir * k) % h->n + h->n) % h->n;
        for (const char *t = h->lines[i].text; *t; t++)
            if (strncasecmp(t, h->find, fl) == 0) {
                h->pos.top = i;
                return TUI_R_HANDLED | TUI_R_REDRAW;
            }
    }
    tui_err(tui, "/%s: not in the help", h->find);
    return TUI_R_HANDLED;
}

static int
help_request(struct tui *tui, struct view *v, enum tui_cmd cmd, const char *arg)
{
    struct help *h = v->priv;
    int rows = v->area.h - 1;
    int64_t rep = tui->rep > 1 ? tui->rep : 1;
    switch (cmd) {
    case CMD_MOVE_DOWN: h->pos.top += rep; break;
    case CMD_MOVE_UP: h->pos.top -= rep; break;
    case CMD_PAGE_DOWN: h->pos.top += (rows - 1) * rep; break;
    case CMD_PAGE_UP: h->pos.top -= (rows - 1) * rep; break;
    case CMD_HALF_DOWN: h->pos.top += rows / 2 * rep; break;
    case CMD_HALF_UP: h->pos.top -= rows / 2 * rep; break;
    case CMD_FIRST: h->pos.top = 0; break;
    case CMD_LAST: h->pos.top = h->n; break;
    case CMD_GOTO:
        if (!arg || atoll(arg) < 1 || atoll(arg) > h->n) {
            tui_err(tui, "goto: give a line number between 1 and %d", h->n);
            return TUI_R_HANDLED;
        }
        h->pos.top = atoll(arg) - 1;
        break;
    case CMD_HELP: return TUI_R_HANDLED | TUI_R_CLOSE;
    case CMD_SEARCH:
        if (!arg) {
            prompt_open(tui, "/", CMD_SEARCH, NULL);
            return TUI_R_HANDLED;
        }
        snprintf(h->find, sizeof h->find, "%s", arg);
        return help_find(tui, h, h->pos.top, 1);
    case CMD_SEARCH_NEXT: return help_find(tui, h, h->pos.top + 1, 1);
    case CMD_SEARCH_PREV: return help_find(tui, h, h->pos.top - 1, -1);
    default: return TUI_R_IGNORED;
    }
    return TUI_R_HANDLED | TUI_R_REDRAW;
}

static void
help_status(struct tui *tui, struct view *v, struct strbuf *out)
{
    (void)tui;
    struct help *h = v->priv;
    sb_printf(out, "line %lld/%d\tq close", (long long)h->pos.top + 1, h->n);
}

const struct view_ops view_help_ops = {
    .name = "help",
    .keymap = KM_HELP,
    .private_size = sizeof(struct help),
    .open = help_open,
    .draw = help_draw,
    .request = help_request,
    .status = help_status,
    .done = help_done,
};
