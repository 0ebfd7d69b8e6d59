# Sourced by ./dev. Installs what the project needs on a fresh machine, idempotently.

log() { printf '\033[2m[dev] %s\033[0m\n' "$*" >&2; }

# The virtualenv lives in .venv; its stamp is a hash of every file that decides what
# gets installed, so a changed pyproject.toml reinstalls and an unchanged one costs nothing.
bootstrap_python() {
  local stamp_inputs stamp
  stamp_inputs=$(cat pyproject.toml tests/thirdparty/*/pyproject.toml 2>/dev/null)
  stamp=$(printf '%s' "$stamp_inputs" | sha256sum | cut -d' ' -f1)
  if [ -f .venv/.stamp ] && [ "$(cat .venv/.stamp)" = "$stamp" ] && [ -x .venv/bin/junction ]; then
    return
  fi
  log "installing Python packages into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  # Third-party-style plugin packages that the tests install, as an integrator would.
  for pkg in tests/thirdparty/*/; do
    [ -f "$pkg/pyproject.toml" ] && .venv/bin/python -m pip install --quiet -e "$pkg"
  done
  echo "$stamp" > .venv/.stamp
}

# Services the tests talk to over real connections. A service that is down is started
# with the machine's own command; one that can't be started fails the run loudly.
bootstrap_services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    wait_for "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
  fi
  # MariaDB: the orderdb source's tests read a real MySQL-family database.
  if ! mariadb_up; then
    log "starting MariaDB"
    # /run is a tmpfs on a fresh machine: the socket's folder must be made again.
    install -d -o mysql -g mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for "MariaDB" mariadb_up
  fi
}

# The web admin's browser tests drive Debian's own chromium through Playwright; Playwright's
# browser downloads are never used (`playwright install` must not run), so the browser
# comes from apt. Already installed: nothing happens.
bootstrap_chromium() {
  [ -x /usr/bin/chromium ] && return
  log "installing chromium (Debian package) for the browser tests"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x /usr/bin/chromium ] || { echo "[dev] chromium did not install" >&2; return 1; }
}

mariadb_up() {
  if command -v mariadb-admin >/dev/null 2>&1; then
    mariadb-admin ping -h 127.0.0.1 --silent >/dev/null 2>&1
  else
    mysqladmin ping -h 127.0.0.1 --silent >/dev/null 2>&1
  fi
}

wait_for() {
  local name=$1; shift
  for _ in $(seq 1 60); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "[dev] $name did not come up" >&2
  return 1
}
