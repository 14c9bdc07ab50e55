-- prefscope theme: 16-colour fallback, only the 8 ANSI colours and their
-- bright variants, for terminals without 256 colours (and picked by
-- `:theme basic16` anywhere).
return {
  name = "basic16",
  roles = {
    default      = { fg = "default", bg = "default" },
    title        = { fg = "white", bg = "blue", attrs = "bold" },
    status       = { fg = "black", bg = "white" },
    status_error = { fg = "white", bg = "red", attrs = "bold" },
    message      = { fg = "default" },
    selection    = { fg = "black", bg = "cyan" },
    header       = { fg = "cyan", attrs = "bold underline" },
    section      = { fg = "cyan", attrs = "bold" },
    dim          = { fg = "default", attrs = "dim" },
    border       = { fg = "blue" },
    diff_del     = { fg = "red", attrs = "bold underline" },
    diff_add     = { fg = "green", attrs = "bold" },
    diff_change  = { fg = "black", bg = "yellow" },
    label_a      = { fg = "black", bg = "cyan", attrs = "bold" },
    label_b      = { fg = "black", bg = "yellow", attrs = "bold" },
    label_tie    = { fg = "black", bg = "white", attrs = "bold" },
    placeholder  = { fg = "magenta", attrs = "reverse" },
    search_match = { fg = "black", bg = "yellow" },
    tag          = { fg = "magenta" },
    accent       = { fg = "yellow", attrs = "bold" },
    prompt       = { fg = "cyan", attrs = "bold" },
  },
}
