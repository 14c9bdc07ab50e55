/* placeholder so the module library is never empty */
typedef int ps_tui_placeholder;
