# Sourced by the test scripts: makes sure NATS (with JetStream) and Redis answer at
# $HYBRID_TEST_NATS and $HYBRID_TEST_REDIS, as scripts/postgres.sh does for PostgreSQL. A server
# that is installed but stopped is started (in the background, data under /tmp); a missing one
# is installed from Debian's packages when running as root; otherwise the run fails with a hint.

: "${HYBRID_TEST_NATS:=nats://127.0.0.1:4222}"
: "${HYBRID_TEST_REDIS:=redis://127.0.0.1:6379}"
: "${HYBRID_TEST_S3:=http://127.0.0.1:5055}"
export HYBRID_TEST_NATS HYBRID_TEST_REDIS HYBRID_TEST_S3

# host:port of a URL like scheme://[user@]host:port[/...]
host_port() {
    local rest=${1#*://}
    rest=${rest%%/*}
    echo "${rest##*@}"
}

answers() {
    local hp
    hp=$(host_port "$1")
    (exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
}

wait_for() {
    for _ in $(seq 1 30); do
        answers "$1" && return 0
        sleep 0.5
    done
    return 1
}

apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
    echo "installing $1 from the distribution's packages ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

# ensure_server NAME URL BINARY PACKAGE START: START is a function that starts the server in
# the background, called with the URL's host and port.
ensure_server() {
    local name=$1 url=$2 binary=$3 package=$4 start=$5 hp
    answers "$url" && return 0
    hp=$(host_port "$url")
    command -v "$binary" >/dev/null 2>&1 || apt_install "$package" || true
    if command -v "$binary" >/dev/null 2>&1; then
        echo "starting $binary on $hp ..."
        "$start" "${hp%:*}" "${hp##*:}"
        wait_for "$url" && return 0
    fi
    echo "$name is needed at $url and is not answering. Install it (Debian/Ubuntu: apt-get install $package) and start it, or point the variable at a running one." >&2
    return 1
}

start_nats() {
    mkdir -p /tmp/hybrid-nats
    nohup nats-server -a "$1" -p "$2" -js -sd /tmp/hybrid-nats >/tmp/hybrid-nats/log 2>&1 &
}

start_redis() {
    redis-server --daemonize yes --bind "$1" --port "$2" --save "" --appendonly no \
        --logfile /tmp/hybrid-redis.log >/dev/null
}

ensure_nats() {
    ensure_server "NATS with JetStream (HYBRID_TEST_NATS)" "$HYBRID_TEST_NATS" nats-server nats-server start_nats
}

ensure_redis() {
    ensure_server "Redis (HYBRID_TEST_REDIS)" "$HYBRID_TEST_REDIS" redis-server redis-server start_redis
}

# S3 for the files service on the scaled stack: moto's server (PyPI), installed into a
# virtualenv under ~/.cache when the machine has none.
start_moto() {
    local moto=moto_server
    command -v moto_server >/dev/null 2>&1 || moto="$HOME/.cache/hybrid/moto/bin/moto_server"
    nohup "$moto" -H "$1" -p "$2" >/tmp/hybrid-moto.log 2>&1 &
}

install_moto() {
    command -v moto_server >/dev/null 2>&1 && return 0
    [ -x "$HOME/.cache/hybrid/moto/bin/moto_server" ] && return 0
    echo "installing moto[server] into ~/.cache/hybrid/moto ..."
    python3 -m venv "$HOME/.cache/hybrid/moto" &&
        "$HOME/.cache/hybrid/moto/bin/pip" install -q "moto[server]>=5,<6"
}

ensure_s3() {
    answers "$HYBRID_TEST_S3" && return 0
    install_moto || true
    local hp
    hp=$(host_port "$HYBRID_TEST_S3")
    if command -v moto_server >/dev/null 2>&1 || [ -x "$HOME/.cache/hybrid/moto/bin/moto_server" ]; then
        echo "starting moto_server on $hp ..."
        start_moto "${hp%:*}" "${hp##*:}"
        wait_for "$HYBRID_TEST_S3" && return 0
    fi
    echo "an S3 server is needed at $HYBRID_TEST_S3 (HYBRID_TEST_S3): pip install 'moto[server]' and run moto_server -p ${hp##*:}" >&2
    return 1
}

# Implementations that share no code with Hybrid's, to check what it sends: Web Push payloads
# and VAPID headers (crates/notify/src/webpush.rs) against Python's http_ece and cryptography,
# email against aiosmtpd (an SMTP sink) and Python's email package, the Bot API (crates/bots)
# against the bot libraries people use with Telegram: aiogram and python-telegram-bot.
ensure_python_tools() {
    local venv="$HOME/.cache/hybrid/python"
    if ! "$venv/bin/python" -c "import http_ece, cryptography, aiosmtpd, aiogram, telegram, tornado, telethon" >/dev/null 2>&1; then
        echo "installing http_ece, aiosmtpd, aiogram, python-telegram-bot and telethon into ~/.cache/hybrid/python ..."
        python3 -m venv "$venv" && "$venv/bin/pip" install -q "http_ece>=1.1,<2" "aiosmtpd>=1.4,<2" \
            "aiogram>=3.20,<4" "python-telegram-bot[webhooks]>=22,<23" "telethon>=1.40,<2" || {
            echo "the Web Push, email, bot library and MTProto wire tests need Python packages: python3 -m venv $venv && $venv/bin/pip install http_ece aiosmtpd aiogram 'python-telegram-bot[webhooks]' telethon" >&2
            return 1
        }
    fi
    export HYBRID_TEST_PYTHON="$venv/bin/python"
}

# The gateway test (e2e `services`) runs its own nginx, and checks its TLS server block with a
# certificate from openssl and a request from curl: they must be installed, not running.
ensure_tools() {
    local binary package missing=()
    # ffmpeg: the files service reads sound and video with it (docs/files.md)
    for pair in nginx:nginx openssl:openssl curl:curl ffmpeg:ffmpeg prlimit:util-linux; do
        binary=${pair%%:*} package=${pair##*:}
        command -v "$binary" >/dev/null 2>&1 || [ -x "/usr/sbin/$binary" ] || apt_install "$package" || true
        command -v "$binary" >/dev/null 2>&1 || [ -x "/usr/sbin/$binary" ] || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "needed for the tests and not installed: ${missing[*]} (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
        return 1
    fi
}

# The web client's packages (web/node_modules): the files service's e2e tests run the tus
# protocol's reference client, tus-js-client, from there. Installed when missing or stale.
ensure_web_deps() {
    command -v node >/dev/null 2>&1 || { echo "needed for the tests and not installed: Node.js 20 or later" >&2; return 1; }
    if [[ ! web/node_modules/.package-lock.json -nt web/package-lock.json ]]; then
        echo "web: npm ci (for tus-js-client in the files tests)"
        (cd web && npm ci --no-audit --no-fund --loglevel=error)
    fi
}
