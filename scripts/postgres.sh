# Sourced by the test scripts: makes sure a PostgreSQL server answers at $HYBRID_TEST_POSTGRES.
# Starts the local cluster if it is installed but stopped; installs it (Debian/Ubuntu, as root)
# if it is missing; otherwise says how to get one and fails. Never skips: the suite needs it.

: "${HYBRID_TEST_POSTGRES:=postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export HYBRID_TEST_POSTGRES

pg_answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -d "$HYBRID_TEST_POSTGRES" 2>/dev/null
    else
        (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
    fi
}

start_local_cluster() {
    command -v pg_ctlcluster >/dev/null 2>&1 || return 1
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || return 1
    echo "starting PostgreSQL $version ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
        || su postgres -c "pg_ctlcluster $version main start" 2>/dev/null || return 1
}

install_postgres() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    echo "installing PostgreSQL from the distribution's packages ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    start_local_cluster || return 1
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    # the URL above logs in as postgres/postgres over TCP
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

ensure_postgres() {
    pg_answers && return 0
    start_local_cluster || install_postgres || true
    for _ in $(seq 1 30); do
        pg_answers && return 0
        sleep 1
    done
    cat >&2 <<MSG
PostgreSQL is needed at $HYBRID_TEST_POSTGRES and is not answering.
Install it (Debian/Ubuntu: apt-get install postgresql) and start it, or point
HYBRID_TEST_POSTGRES at a server where that user may create databases.
MSG
    return 1
}
