-- prefscope theme: dark (the default).  A theme is data: this file runs with
-- no libraries and must return a table.  Colour specs list alternatives, best
-- first: "#rrggbb" (truecolor, else the nearest of 256), a palette number,
-- a name (red, bright-blue, gray) or "default" (the terminal's own colour).
-- attrs: any of bold underline reverse dim italic.  mono: attrs used when
-- colour is off (NO_COLOR, TERM=dumb).
return {
  name = "dark",
  roles = {
    default      = { fg = "default", bg = "default" },
    title        = { fg = "#ffffff 231 white", bg = "#005f87 24 blue", attrs = "bold" },
    status       = { fg = "#d0d0d0 252 white", bg = "#303030 236 black" },
    status_error = { fg = "#ffffff 231 white", bg = "#af0000 124 red", attrs = "bold" },
    message      = { fg = "#d0d0d0 252 white" },
    selection    = { fg = "#ffffff 231 white", bg = "#3a3a3a 237 blue", attrs = "bold" },
    header       = { fg = "#87afd7 110 cyan", attrs = "bold underline" },
    section      = { fg = "#87afd7 110 cyan", attrs = "bold" },
    dim          = { fg = "#a8a8a8 248 white" },
    border       = { fg = "#585858 240 white" },
    diff_del     = { fg = "#ffafaf 217 red", bg = "#5f0000 52 default", attrs = "bold" },
    diff_add     = { fg = "#afffaf 157 green", bg = "#005f00 22 default", attrs = "bold" },
    diff_change  = { fg = "#ffffaf 229 yellow", bg = "#5f5f00 58 default", attrs = "bold" },
    label_a      = { fg = "#000000 16 black", bg = "#5fafff 75 cyan", attrs = "bold" },
    label_b      = { fg = "#000000 16 black", bg = "#ffaf5f 215 yellow", attrs = "bold" },
    label_tie    = { fg = "#000000 16 black", bg = "#bcbcbc 250 white", attrs = "bold" },
    placeholder  = { fg = "#ff5fff 207 magenta", attrs = "reverse" },
    search_match = { fg = "#000000 16 black", bg = "#ffd700 220 yellow" },
    tag          = { fg = "#d7afff 183 magenta" },
    accent       = { fg = "#ffd75f 221 yellow", attrs = "bold" },
    prompt       = { fg = "#87d7ff 117 cyan", attrs = "bold" },
  },
}
