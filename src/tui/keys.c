/* Command and key tables: name lookup, key parsing, binding lookup. */
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

#include "tui/view.h"

static const struct tui_cmd_info keys_cmds[CMD__COUNT] = {[CMD_NONE] = {"none", "", "", 0},
#define TUI_CMD_INFO(id, name, group, arg, help) [CMD_##id] = {name, group, help, arg},
                                                          TUI_CMDS(TUI_CMD_INFO)
#undef TUI_CMD_INFO
};

static const char *const keys_keymaps[KM__COUNT] = {
#define TUI_KEYMAP_NAME(id, name) [KM_##id] = name,
    TUI_KEYMAPS(TUI_KEYMAP_NAME)
#undef TUI_KEYMAP_NAME
};

struct key_binding {
    enum tui_keymap km;
    const char *spec;
    enum tui_cmd cmd;
};

static const struct key_binding keys_table[] = {
#define TUI_KEY_ENTRY(km, spec, cmd) {KM_##km, spec, CMD_##cmd},
    TUI_KEYS(TUI_KEY_ENTRY)
#undef TUI_KEY_ENTRY
};
#define N_KEYS (sizeof keys_table / sizeof keys_table[0])

/* Named keys inside <...>. */
static const struct {
    const char *name;
    int code;
} keys_named[] = {
    {"Down", KEYC_FN(KEY_DOWN)},
    {"Up", KEYC_FN(KEY_UP)},
    {"Left", KEYC_FN(KEY_LEFT)},
    {"Right", KEYC_FN(KEY_RIGHT)},
    {"PgDn", KEYC_FN(KEY_NPAGE)},
    {"PgUp", KEYC_FN(KEY_PPAGE)},
    {"Home", KEYC_FN(KEY_HOME)},
    {"End", KEYC_FN(KEY_END)},
    {"F1", KEYC_FN(KEY_F(1))},
    {"F12", KEYC_FN(KEY_F(12))},
    {"Enter", '\r'},
    {"Tab", '\t'},
    {"Esc", 27},
    {"Space", ' '},
    {"BTab", KEYC_FN(KEY_BTAB)},
    {"Backspace", KEYC_FN(KEY_BACKSPACE)},
};

const struct tui_cmd_info *
keys_cmd_info(enum tui_cmd cmd)
{
    if ((int)cmd < 0 || cmd >= CMD__COUNT)
        cmd = CMD_NONE;
    return &keys_cmds[cmd];
}

enum tui_cmd
keys_cmd_by_name(const char *name)
{
    for (int i = 1; i < CMD__COUNT; i++)
        if (strcmp(keys_cmds[i].name, name) == 0)
            return (enum tui_cmd)i;
    return CMD_NONE;
}

int
keys_cmd_counts(enum tui_cmd cmd)
{
    switch (cmd) {
    case CMD_MOVE_DOWN:
    case CMD_MOVE_UP:
    case CMD_PAGE_DOWN:
    case CMD_PAGE_UP:
    case CMD_HALF_DOWN:
    case CMD_HALF_UP:
    case CMD_FIRST:
    case CMD_LAST:
    case CMD_ITEM_NEXT:
    case CMD_ITEM_PREV:
    case CMD_NEXT_UNLABELED:
    case CMD_PREV_UNLABELED:
    case CMD_SEARCH_NEXT:
    case CMD_SEARCH_PREV:
    case CMD_NEXT_CHANGE: return 1;
    default: return 0;
    }
}

const char *
keys_keymap_name(enum tui_keymap km)
{
    return keys_keymaps[km];
}

/* Parse a spec like "gg", "<C-d>", "<PgDn>" into key codes; returns the count. */
static int
keys_parse(const char *spec, int *seq)
{
    int n = 0;
    const char *p = spec;
    while (*p && n < KEY_SEQ_MAX) {
        if (*p == '<' && p[1] && strchr(p + 1, '>')) {
            const char *end = strchr(p + 1, '>');
            size_t len = (size_t)(end - p - 1);
            if (len == 3 && p[1] == 'C' && p[2] == '-') {
                seq[n++] = p[3] & 0x1f;
            } else {
                for (size_t i = 0; i < sizeof keys_named / sizeof keys_named[0]; i++)
                    if (strlen(keys_named[i].name) == len &&
                        strncmp(keys_named[i].name, p + 1, len) == 0)
                        seq[n++] = keys_named[i].code;
            }
            p = end + 1;
        } else {
            seq[n++] = (unsigned char)*p++;
        }
    }
    return n;
}

/* Keys that terminals send in more than one way. */
static int
keys_normalize(int k)
{
    if (k == '\n' || k == KEYC_FN(KEY_ENTER))
        return '\r';
    return k;
}

int
keys_lookup(enum tui_keymap km, const int *seq, int n)
{
    int prefix = 0;
    /* Two passes: the view's own keymap wins over generic. */
    for (int pass = 0; pass < 2; pass++) {
        enum tui_keymap want = pass == 0 ? km : KM_GENERIC;
        if (pass == 1 && km == KM_GENERIC)
            break;
        for (size_t i = 0; i < N_KEYS; i++) {
            if (keys_table[i].km != want)
                continue;
            int bseq[KEY_SEQ_MAX];
            int bn = keys_parse(keys_table[i].spec, bseq);
            if (bn < n)
                continue;
            int match = 1;
            for (int k = 0; k < n && match; k++)
                match = keys_normalize(bseq[k]) == keys_normalize(seq[k]);
            if (!match)
                continue;
            if (bn == n)
                return keys_table[i].cmd;
            prefix = 1;
        }
        if (prefix)
            return -1;
    }
    return CMD_NONE;
}

int
keys_bindings(enum tui_keymap km, enum tui_cmd cmd, char *out, size_t size)
{
    int found = 0;
    size_t len = 0;
    if (size)
        out[0] = '\0';
    for (size_t i = 0; i < N_KEYS; i++) {
        if (keys_table[i].km != km || keys_table[i].cmd != cmd)
            continue;
        int w = snprintf(out + len, size > len ? size - len : 0, "%s%s", found ? " " : "",
                         keys_table[i].spec);
        if (w > 0 && len + (size_t)w < size)
            len += (size_t)w;
        found++;
    }
    return found;
}

void
tui_print_keys(FILE *out)
{
    const char *groups[16];
    int ng = 0;
    for (int c = 1; c < CMD__COUNT; c++) {
        const char *g = keys_cmds[c].group;
        int seen = 0;
        for (int i = 0; i < ng; i++)
            seen |= strcmp(groups[i], g) == 0;
        if (!seen && ng < 16)
            groups[ng++] = g;
    }
    for (int gi = 0; gi < ng; gi++) {
        fprintf(out, "### %s\n\n| command | keys | what it does |\n|---|---|---|\n", groups[gi]);
        for (int c = 1; c < CMD__COUNT; c++) {
            if (strcmp(keys_cmds[c].group, groups[gi]) != 0)
                continue;
            fprintf(out, "| `:%s`%s | ", keys_cmds[c].name, keys_cmds[c].takes_arg ? " ARG" : "");
            int any = 0;
            for (int km = 0; km < KM__COUNT; km++) {
                char b[128];
                if (!keys_bindings((enum tui_keymap)km, (enum tui_cmd)c, b, sizeof b))
                    continue;
                /* Table cells cannot hold a bare '|'. */
                fprintf(out, "%s%s: `%s`", any ? "; " : "", keys_keymaps[km], b);
                any = 1;
            }
            fprintf(out, "%s | ", any ? "" : "-");
            for (const char *h = keys_cmds[c].help; *h; h++)
                fprintf(out, *h == '|' ? "\\|" : "%c", *h);
            fprintf(out, " |\n");
        }
        fprintf(out, "\n");
    }
}
