# Sourced by the Parquet interoperability tests: installs the independent reader and
# writer (npm hyparquet, hyparquet-writer) once into the build directory and sets
# NPMDIR; exits 77 (skipped) without node/npm or when npm cannot install (offline).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node and npm are needed (scripts/install-deps.sh installs them)"
    exit 77
fi
NPMDIR="$(dirname "$PS_BIN")/npm-parquet"
if [ ! -d "$NPMDIR/node_modules/hyparquet-writer" ] || [ ! -d "$NPMDIR/node_modules/hyparquet" ]; then
    mkdir -p "$NPMDIR"
    if ! (cd "$NPMDIR" && npm install --no-audit --no-fund --silent \
        hyparquet-writer@0.17.0 hyparquet@1.33.0 >/dev/null 2>&1); then
        echo "SKIP: npm could not install hyparquet-writer and hyparquet (offline?)"
        exit 77
    fi
fi
