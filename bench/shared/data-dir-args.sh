# Sourced by the bench scripts that take one optional argument, DATA_DIR (default data/mnist): prints the script's
# header comment for -h/--help, refuses other options and arguments in one line (exit 2), moves to the repo root and
# sets DATA_DIR to the folder's absolute path. Defines die() for the script's own checks.
#
#   . "$(dirname "$0")/../shared/data-dir-args.sh" "$@"
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "bench/$(basename "$(dirname "$0")")/$(basename "$0"): $*" >&2; exit 2; }
case "${1:-}" in -h|--help) usage; exit 0 ;; -*) die "unknown option '$1' (--help)" ;; esac
[ $# -le 1 ] || die "at most one argument, DATA_DIR (--help)"
cd "$(dirname "$0")/../.."
[ -d "${1:-data/mnist}" ] || die "DATA_DIR '${1:-data/mnist}': no such folder (\`data fetch mnist\` makes data/mnist)"
DATA_DIR=$(realpath "${1:-data/mnist}")
