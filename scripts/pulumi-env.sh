# shellcheck shell=sh
# Source this file (bash, zsh or sh) to use the Pulumi engine that
# scripts/bootstrap-engine.sh built into $SLIPWAY_HOME:
#
#   . scripts/pulumi-env.sh
#
# It only sets defaults: a variable you already set (even to an empty value)
# is left alone. PATH gets $SLIPWAY_HOME/bin in front once.

SLIPWAY_HOME="${SLIPWAY_HOME:-$HOME/.cache/slipway}"
export SLIPWAY_HOME

case ":$PATH:" in
  *":$SLIPWAY_HOME/bin:"*) ;;
  *) PATH="$SLIPWAY_HOME/bin:$PATH"; export PATH ;;
esac

# Plugins, credentials and workspace state live under the cache, not ~/.pulumi.
if [ -z "${PULUMI_HOME+x}" ]; then
  PULUMI_HOME="$SLIPWAY_HOME/pulumi-home"
  export PULUMI_HOME
fi
# Plugins come from $SLIPWAY_HOME/bin (found on PATH) or PULUMI_HOME; never
# download one at run time (there is no internet here, and versions are pinned).
if [ -z "${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION+x}" ]; then
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION
fi
# Providers are registered in $PULUMI_HOME/plugins by bootstrap-engine.sh;
# ignoring pulumi-resource-* binaries on PATH keeps the engine on those pinned
# versions and avoids a "using ... from $PATH" warning on every run. (Language
# hosts are still found beside the pulumi binary.)
if [ -z "${PULUMI_IGNORE_AMBIENT_PLUGINS+x}" ]; then
  PULUMI_IGNORE_AMBIENT_PLUGINS=true
  export PULUMI_IGNORE_AMBIENT_PLUGINS
fi
if [ -z "${PULUMI_SKIP_UPDATE_CHECK+x}" ]; then
  PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_SKIP_UPDATE_CHECK
fi
# Local file backend: no Pulumi Cloud account, state under the cache.
# Note: while PULUMI_BACKEND_URL is set it wins over `pulumi login`; to use
# another backend, set PULUMI_BACKEND_URL before sourcing (or unset it).
if [ -z "${PULUMI_BACKEND_URL+x}" ]; then
  PULUMI_BACKEND_URL="file://$SLIPWAY_HOME/backend"
  export PULUMI_BACKEND_URL
fi
case "$PULUMI_BACKEND_URL" in
  "file://$SLIPWAY_HOME"/*) mkdir -p "${PULUMI_BACKEND_URL#file://}" "$PULUMI_HOME" 2>/dev/null || : ;;
esac
# Stacks on the local backend use the passphrase secrets provider; an empty
# passphrase is accepted. Left alone if a passphrase (or its file) is set.
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+x}" ]; then
  PULUMI_CONFIG_PASSPHRASE=""
  export PULUMI_CONFIG_PASSPHRASE
fi

if ! command -v pulumi >/dev/null 2>&1; then
  echo "pulumi-env: no pulumi in $SLIPWAY_HOME/bin or on PATH; run scripts/bootstrap-engine.sh" >&2
fi
