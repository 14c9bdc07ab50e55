# Sourced by the Parquet interoperability tests: installs the independent reader and
# writer (npm hyparquet, hyparquet-writer) once into the build directory and sets
# NPMDIR; exits 77 (skipped) without node/npm or when npm cannot install (offline).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed (scripts/install-deps.sh installs them)"
    exit 77
fi
NPMDIR="$(dirname "$PS_BIN")/npm-parquet"
mkdir -p "$NPMDIR"
# Two tests may get here at once (ctest -j): the first installs, the other waits on
# the lock instead of installing into the same folder at the same time.
exec 9>"$NPMDIR.lock"
flock 9
if [ ! -d "$NPMDIR/node_modules/hyparquet-writer" ] || [ ! -d "$NPMDIR/node_modules/hyparquet" ]; then
    if ! (cd "$NPMDIR" && npm install --no-audit --no-fund --silent \
        hyparquet-writer@0.17.0 hyparquet@1.33.0 >/dev/null 2>&1); then
        echo "SKIP: npm could not install hyparquet-writer and hyparquet (offline?)"
        exit 77
    fi
fi
flock -u 9
exec 9>&-
