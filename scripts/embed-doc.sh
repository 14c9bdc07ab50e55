#!/bin/sh
# embed-doc.sh DOC OUT.c: compile a Markdown file into the binary as the C string
# l_api_doc (run by the build for docs/lua-api.md, so the REPL's help() reads the
# very text of the documentation and the two cannot drift).
set -e
{
    echo "/* Generated from $(basename "$1") by scripts/embed-doc.sh at build time. */"
    echo "extern const char l_api_doc[];"
    echo "const char l_api_doc[] ="
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/    "/' -e 's/$/\\n"/' "$1"
    echo "    ;"
} > "$2.tmp"
mv "$2.tmp" "$2"
