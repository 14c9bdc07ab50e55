#!/bin/sh
# Regenerate src/lua/prelude.c from src/lua/prelude.lua (the Lua half of the `ps`
# module is compiled into the binary so it works wherever the binary is copied).
set -e
cd "$(dirname "$0")/.."
{
    echo "/* Generated from prelude.lua by scripts/embed-lua.sh: do not edit. */"
    echo "#include \"lua/l_internal.h\""
    echo ""
    echo "const char l_prelude_src[] ="
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' src/lua/prelude.lua
    echo "    ;"
} > src/lua/prelude.c
