# shellcheck shell=bash
# The docker service: dockerd in the background (up, down, status).
# Sourced by scripts/services.sh, after lib/common.sh and lib/services/daemons.sh.

docker_ok() { timeout "$PROBE_TIMEOUT" docker info >/dev/null 2>&1; }

up_docker() {
  local pid
  if docker_ok; then
    echo "already running"
    return 0
  fi
  pid="$(running_pid "$RUN_DIR/docker.pid" "$(tr -dc '0-9' </var/run/docker.pid 2>/dev/null)")"
  adopt dockerd "$pid" 60 docker_ok
  case $? in 0) return 0 ;; 2) return 1 ;; esac
  have dockerd || { echo "FAILED: dockerd missing (run scripts/install-system.sh)"; return 1; }
  [[ -f /etc/docker/daemon.json ]] || warn "/etc/docker/daemon.json missing (run scripts/install-system.sh)"
  local pidfile="$RUN_DIR/docker.pid" log="$LOG_DIR/docker.log" t
  t="$(now_ms)"
  spawn_detached "$log" "$pidfile" dockerd 9>&-
  wait_ready dockerd "$pidfile" "$log" 90 0.2 "docker info did not answer" docker_ok || return 1
  echo "started ($(replaced_note)$(elapsed_s "$t") s, pid $(pid_of "$pidfile"), log $log)"
}

down_docker() { down_daemon docker 60 dockerd docker_ok; }

status_docker() {
  local pidfile="$RUN_DIR/docker.pid" v
  if docker_ok; then
    v="$(docker version --format '{{.Server.Version}}' 2>/dev/null)"
    if pid_alive "$pidfile"; then
      echo "running (dockerd $v, pid $(pid_of "$pidfile"), started by slipway)"
    else
      echo "running (dockerd $v, not started by slipway)"
    fi
  else
    echo "stopped"
  fi
}
