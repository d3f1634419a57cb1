# Sourced by a script that needs root, before it changes directory:
#   . "$(dirname "$0")/lib/as-root.sh"
# As root it does nothing, so a machine where you are root and sudo is not installed works. Otherwise it re-executes
# the calling script with sudo, with the same arguments and this PATH (so dotnet and the tools found now are found
# then); without sudo it stops with one line saying to run it as root.
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$(basename "$0"): needs root (namespaces, Open vSwitch, packet capture) and sudo is not installed: run it as root" >&2
    exit 1
  fi
  as_root_env=("PATH=$PATH")
  for as_root_name in DOTNET_ROOT NUGET_PACKAGES CI; do
    [ -n "${!as_root_name:-}" ] && as_root_env+=("$as_root_name=${!as_root_name}")
  done
  exec sudo env "${as_root_env[@]}" "$(readlink -f "$0")" "$@"
fi
